// Package catalog is llm-gateway's model catalog: which Bedrock foundation
// models an agent may name, what each one accepts (context window, output
// limit, temperature range, capabilities), what it costs, and which model or
// inference-profile ID to call for it from the configured AWS Region.
//
// The catalog ships as an embedded data file, models.json, with one object per
// model. Prices are US dollars per 1,000 tokens, as the seed gateway listed
// them; a missing price means the gateway does not know it (calls are
// reported as unpriced, never as $0). Each entry carries a "source" note that
// says where its figures come from and which ones are best knowledge.
//
// A user file (Options.File, MODELS_FILE in the gateway's configuration) in
// the same format adds models or overrides fields of existing ones: an object
// whose name matches an existing entry (case-insensitively) changes only the
// fields it contains. A null resets a field: "input_cost_per_1k": null makes
// a price unknown, "profile_prices": null drops the per-profile prices (an
// object there is merged by profile name). Unknown fields are errors, so a
// misspelling does not pass silently. The merged catalog is validated as a
// whole at Load, and every problem is reported.
//
// # Inference profiles
//
// The data stores each model's base ID (amazon.nova-pro-v1:0) and the
// cross-Region inference profiles Bedrock offers for it ("us", "eu", "apac",
// "jp", "au", "us-gov", "global"). A short name resolves, for the configured
// Region, to the geography's profile if the model offers it
// (us.amazon.nova-pro-v1:0 from us-east-1, eu.amazon.nova-pro-v1:0 from
// eu-west-1), else to the global profile, else to the bare base ID.
// Regions map to geographies as follows: us-* and ca-* use "us"; us-gov-*
// uses "us-gov" (and never "global", which GovCloud lacks); eu-* uses "eu";
// ap-northeast-1 and -3 prefer "jp", ap-southeast-2 and -4 prefer "au", and
// every ap-* Region falls back to "apac". Other Regions (sa-, me-, af-, il-,
// mx-) have no geography: Bedrock serves "us." profiles only to US source
// Regions, so rather than guess, those Regions use "global" or the bare ID.
//
// A profile serves only the source Regions of its geography (see
// profileServes); the bare ID is served only in the Regions listed in
// "regions" (all of them when the list is absent, so that missing data
// never refuses what Bedrock accepts). A model the Region cannot call any
// of these ways is refused by Resolve before Bedrock, with an error naming
// where it is offered; list_models marks it callable: false.
//
// # Prices
//
// AWS bills a call by its source Region, profile and service tier, at the
// rates in force at the time of the call. A model's base prices apply to the
// bare ID and every profile on the default tier; "profile_prices" (a
// shorthand) and the rules of "prices" refine them. A rule selects calls by
// profile, source Region (globs such as "eu-*"), service tier, dates
// (from/until) and input size (above_input_tokens: the whole call is billed
// at the rule's rates), and every rule that matches is laid over the base in
// file order. A tier other than default starts unpriced. Load compiles the
// rules, for each profile from the catalog's Region, into a
// gateway.Pricing with one band per (tier, date, threshold), so pricing a
// call is a lookup, not arithmetic over rules. Claude Sonnet 4.5 and later
// cost 10% more through geographic profiles than through "global", so
// their base prices are the geographic ones and "global" has its own.
package catalog
