package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	bedrocktypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// pricingRegion serves the AWS Price List API.
const pricingRegion = "us-east-1"

// accountModel is what the account says of one foundation model in the
// Region: from ListFoundationModels, ListInferenceProfiles,
// GetFoundationModelAvailability and the Price List.
type accountModel struct {
	id       string
	name     string // ListFoundationModels' modelName
	legacy   bool
	onDemand bool
	profiles []string // system profile prefixes the Region may call
	access   bool
	price    catalog.RegionPrice // the Region's own rates (bare ID, geographic profiles)
	// globalPrice are the rates through the global profile.
	globalPrice catalog.RegionPrice
}

// difference is one way the catalog and the account disagree.
type difference struct {
	model string // catalog name, or the account's model ID when the catalog lacks it
	kind  string // missing, not-in-catalog, wrong-id, region, no-access, legacy, price
	what  string
	fix   map[string]any // the MODELS_FILE object correcting it, if any
}

// runModelsCheck is `llm-gateway models check`.
func runModelsCheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("models check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	region := fs.String("region", firstNonEmpty(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), catalog.DefaultRegion), "the Region to check (AWS_REGION)")
	write := fs.String("write", "", "write a MODELS_FILE correcting the differences to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError(2)
	}
	cat, err := catalog.Load(catalog.Options{Region: *region, File: getenv("MODELS_FILE")})
	if err != nil {
		return err
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(*region))
	if err != nil {
		return fmt.Errorf("models check: AWS configuration: %w", err)
	}
	account, err := readAccount(ctx, cfg, cat)
	if err != nil {
		return fmt.Errorf("models check: %w", err)
	}
	diffs := compareAccount(cat, account, time.Now().UTC())
	for _, d := range diffs {
		fmt.Fprintf(stdout, "%-22s %-14s %s\n", d.model, d.kind, d.what)
	}
	fmt.Fprintf(stdout, "%d difference(s) between the catalog and the account in %s\n", len(diffs), *region)
	if *write == "" {
		return nil
	}
	var fixes []map[string]any
	byName := map[string]int{}
	for _, d := range diffs {
		if d.fix == nil {
			continue
		}
		if i, ok := byName[d.model]; ok { // one object per model
			for k, v := range d.fix {
				fixes[i][k] = v
			}
			continue
		}
		byName[d.model] = len(fixes)
		fixes = append(fixes, d.fix)
	}
	data, err := json.MarshalIndent(fixes, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*write, append(data, '\n'), 0o644); err != nil { //nolint:gosec // a MODELS_FILE the user asked for: prices and model names, no secret
		return err
	}
	fmt.Fprintf(stdout, "wrote %d correction(s) to %s; use it as MODELS_FILE\n", len(fixes), *write)
	return nil
}

// readAccount asks the control plane and the Price List about the Region.
func readAccount(ctx context.Context, cfg aws.Config, cat *catalog.Catalog) (map[string]*accountModel, error) {
	br := bedrock.NewFromConfig(cfg)
	out := map[string]*accountModel{}
	fms, err := br.ListFoundationModels(ctx, &bedrock.ListFoundationModelsInput{})
	if err != nil {
		return nil, fmt.Errorf("ListFoundationModels: %w", err)
	}
	for _, s := range fms.ModelSummaries {
		m := &accountModel{id: aws.ToString(s.ModelId), name: aws.ToString(s.ModelName)}
		m.onDemand = slices.Contains(s.InferenceTypesSupported, bedrocktypes.InferenceTypeOnDemand)
		m.legacy = s.ModelLifecycle != nil && s.ModelLifecycle.Status == bedrocktypes.FoundationModelLifecycleStatusLegacy
		out[m.id] = m
	}
	profiles := bedrock.NewListInferenceProfilesPaginator(br, &bedrock.ListInferenceProfilesInput{TypeEquals: bedrocktypes.InferenceProfileTypeSystemDefined})
	for profiles.HasMorePages() {
		page, err := profiles.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListInferenceProfiles: %w", err)
		}
		for _, p := range page.InferenceProfileSummaries {
			prefix, base, ok := strings.Cut(aws.ToString(p.InferenceProfileId), ".")
			if m := out[base]; ok && m != nil {
				m.profiles = append(m.profiles, prefix)
			}
		}
	}
	// Access is asked only for the catalog's models: one call each.
	for _, e := range cat.Models() {
		m := out[e.BaseModelID]
		if m == nil {
			continue
		}
		av, err := br.GetFoundationModelAvailability(ctx, &bedrock.GetFoundationModelAvailabilityInput{ModelId: aws.String(m.id)})
		if err != nil {
			return nil, fmt.Errorf("GetFoundationModelAvailability %s: %w", m.id, err)
		}
		m.access = av.AuthorizationStatus == bedrocktypes.AuthorizationStatusAuthorized &&
			av.EntitlementAvailability == bedrocktypes.EntitlementAvailabilityAvailable &&
			av.RegionAvailability == bedrocktypes.RegionAvailabilityAvailable
	}
	if err := readPrices(ctx, cfg, cat.Region(), out); err != nil {
		return nil, err
	}
	return out, nil
}

// compareAccount lists how the catalog, as resolved for its Region, differs
// from what the account says.
func compareAccount(cat *catalog.Catalog, account map[string]*accountModel, now time.Time) []difference {
	var diffs []difference
	known := map[string]bool{}
	for _, e := range cat.Models() {
		known[e.BaseModelID] = true
		if e.Endpoint != gateway.EndpointRuntime || e.Status == gateway.StatusEndOfLife {
			continue
		}
		a := account[e.BaseModelID]
		if a == nil {
			if e.Callable {
				diffs = append(diffs, difference{model: e.Name, kind: "missing",
					what: fmt.Sprintf("%s is not offered to this account in %s", e.BaseModelID, cat.Region())})
			}
			continue
		}
		if !e.Callable && a.onDemand && !e.RequiresProfile {
			// The catalog's Region list is older than the account's.
			diffs = append(diffs, difference{model: e.Name, kind: "region",
				what: fmt.Sprintf("the account can call %s on demand in %s, which the catalog refuses (its regions: %s)", e.BaseModelID, cat.Region(), listOrNone(e.Regions)),
				fix:  map[string]any{"name": e.Name, "regions": append(slices.Clone(e.Regions), cat.Region())}})
		}
		if e.Callable {
			switch {
			case e.Profile != "" && !slices.Contains(a.profiles, e.Profile):
				diffs = append(diffs, difference{model: e.Name, kind: "wrong-id",
					what: fmt.Sprintf("the catalog calls %s, but the account has no %q profile for it (profiles: %s; on demand: %v)", e.ModelID, e.Profile, listOrNone(a.profiles), a.onDemand),
					fix:  map[string]any{"name": e.Name, "profiles": withProfiles(e.Profiles, a.profiles, e.Profile)}})
			case e.Profile == "" && !a.onDemand:
				diffs = append(diffs, difference{model: e.Name, kind: "wrong-id",
					what: fmt.Sprintf("the catalog calls %s on demand, which the account cannot (profiles: %s)", e.ModelID, listOrNone(a.profiles))})
			}
		}
		if !a.access {
			diffs = append(diffs, difference{model: e.Name, kind: "no-access",
				what: "the account is not authorized for " + e.BaseModelID + " (enable it under Model access in the Bedrock console)"})
		}
		if a.legacy && e.Status == gateway.StatusActive {
			diffs = append(diffs, difference{model: e.Name, kind: "legacy",
				what: "Bedrock lists the model as LEGACY; the catalog says active",
				fix:  map[string]any{"name": e.Name, "status": gateway.StatusLegacy}})
		}
		if d, ok := priceDifference(cat, e, a); ok {
			diffs = append(diffs, d)
		}
	}
	ids := make([]string, 0, len(account))
	for id := range account {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if !known[id] {
			diffs = append(diffs, difference{model: id, kind: "not-in-catalog",
				what: "the account can call it, the catalog does not know it (add it to MODELS_FILE with its limits)"})
		}
	}
	return diffs
}

// priceDifference compares the default-tier price of e from the Region
// with the Price List's, to the picodollar per token.
func priceDifference(cat *catalog.Catalog, e catalog.Entry, a *accountModel) (difference, bool) {
	p := a.priceFor(e.Profile)
	if p.Input == nil || p.Output == nil || !e.Callable {
		return difference{}, false // no price to compare with: nothing is claimed
	}
	p.Profile = e.Profile
	if p.Profile == "" {
		p.Profile = "none"
	}
	same := func(x, y *float64) bool {
		if x == nil || y == nil {
			return x == y || y == nil // a rate the Price List lacks is no difference
		}
		return gateway.PicoFromUSD(*x/1000) == gateway.PicoFromUSD(*y/1000)
	}
	if same(e.InputCostPer1K, p.Input) && same(e.OutputCostPer1K, p.Output) &&
		same(e.CacheReadCostPer1K, p.CacheRead) && same(e.CacheWriteCostPer1K, p.CacheWrite) {
		return difference{}, false
	}
	fix, _ := cat.PriceCorrection(e.Name, p)
	return difference{model: e.Name, kind: "price",
		what: fmt.Sprintf("catalog %s in / %s out per 1K, Price List %s / %s", dollarsOrUnknown(e.InputCostPer1K), dollarsOrUnknown(e.OutputCostPer1K), dollarsOrUnknown(p.Input), dollarsOrUnknown(p.Output)),
		fix:  fix}, true
}

func dollarsOrUnknown(f *float64) string {
	if f == nil {
		return "unknown"
	}
	return "$" + strconv.FormatFloat(*f, 'f', -1, 64)
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// withProfiles is the catalog's profiles without the one the account
// lacks, plus any the account offers that the catalog misses.
func withProfiles(catalogProfiles, accountProfiles []string, missing string) []string {
	var out []string
	for _, p := range catalogProfiles {
		if p != missing {
			out = append(out, p)
		}
	}
	for _, p := range accountProfiles {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
