package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	pricingtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

// The AWS Price List publishes Bedrock's token prices under two service
// codes with different shapes:
//
//   - AmazonBedrock: Amazon's models and most open-weight ones. Each
//     product's attributes name the model by its display name ("model":
//     "Nova Pro", "Llama 3.3 70B", not the model ID), the kind of token
//     ("inferenceType": "Input tokens", "Output tokens", "Input tokens
//     priority", "input tokens batch", …), the feature ("On-demand
//     Inference", "Batch Inference"), the Region ("regionCode", "location")
//     and a "usagetype" such as "USE1-NovaPro-input-tokens",
//     "USE1-NovaPro-cache-read-input-token-count" or, for models served
//     through bedrock-mantle, "USE1-qwen.qwen3-32b-mantle-input-tokens-standard".
//     Rates are per "1K tokens" (a few per "1M tokens").
//   - AmazonBedrockFoundationModels: the AWS Marketplace listings (Anthropic's
//     models among them), named by "servicename" ("Claude Sonnet 4.5 (Amazon
//     Bedrock Edition)") with no inferenceType; the usagetype carries the
//     kind of token and the scope, in an older CamelCase form
//     ("USE1-MP:USE1_InputTokenCount_Global-Units") and a newer one
//     ("USE1-MP:USE1_cache_read_tokens_global_standard-Units"). Their unit
//     is a million tokens.
//
// Only default-tier, on-demand text-token rates are read: batch, flex,
// priority, reserved, provisioned, custom-model, one-hour cache writes and
// media meters are skipped, so that none of them is taken for the rate the
// catalog prices a call at. Sources for these shapes (read 2026-12-01):
// the AWS Billing and Cost Management API reference (ProductAttributeValues:
// provider, model, inferenceType, feature for Amazon Bedrock) and public
// clients of the Price List API that read these attributes; the README's
// "Cost and regions" section says the same for users.
const (
	priceListBedrock     = "AmazonBedrock"
	priceListMarketplace = "AmazonBedrockFoundationModels"
)

// tokenKind is the kind of token a Price List rate is for.
type tokenKind int

const (
	kindInput tokenKind = iota
	kindOutput
	kindCacheRead
	kindCacheWrite
)

// listRate is one default-tier token rate read from the Price List.
type listRate struct {
	name   string // the product's model display name
	usage  string // usagetype, lower case
	kind   tokenKind
	global bool    // a cross-Region ("global") rate rather than the Region's own
	per1K  float64 // USD per 1,000 tokens
}

// readPrices reads the Region's Bedrock on-demand token prices from both of
// the Price List's Bedrock service codes and gives each to the account
// model it names. Products it does not recognise, and names matching no
// model or several, are skipped: their models then show no price, which
// is reported as nothing to compare, never guessed.
func readPrices(ctx context.Context, cfg aws.Config, region string, out map[string]*accountModel) error {
	pc := pricing.NewFromConfig(cfg, func(o *pricing.Options) { o.Region = pricingRegion })
	read := "AWS Price List for " + region + ", read by llm-gateway models check on " + time.Now().UTC().Format(time.DateOnly)
	marketplace := pricingtypes.Filter{Type: pricingtypes.FilterTypeTermMatch, Field: aws.String("regionCode"), Value: aws.String(region)}
	if loc := catalog.PriceLocation(region); loc != "" {
		marketplace = pricingtypes.Filter{Type: pricingtypes.FilterTypeTermMatch, Field: aws.String("location"), Value: aws.String(loc)}
	}
	var rates []listRate
	for _, q := range []struct {
		code   string
		filter pricingtypes.Filter
	}{
		{priceListBedrock, pricingtypes.Filter{Type: pricingtypes.FilterTypeTermMatch, Field: aws.String("regionCode"), Value: aws.String(region)}},
		{priceListMarketplace, marketplace},
	} {
		pages := pricing.NewGetProductsPaginator(pc, &pricing.GetProductsInput{
			ServiceCode: aws.String(q.code), FormatVersion: aws.String("aws_v1"),
			Filters: []pricingtypes.Filter{q.filter},
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("pricing GetProducts %s: %w", q.code, err)
			}
			for _, doc := range page.PriceList {
				rates = append(rates, parseProduct(q.code, doc)...)
			}
		}
	}
	join := newModelJoin(out)
	for _, r := range rates {
		m := join.find(r)
		if m == nil {
			continue
		}
		p := &m.price
		if r.global {
			p = &m.globalPrice
		}
		v := r.per1K
		switch r.kind {
		case kindInput:
			p.Input = &v
		case kindOutput:
			p.Output = &v
		case kindCacheRead:
			p.CacheRead = &v
		case kindCacheWrite:
			p.CacheWrite = &v
		}
		p.Source = read
	}
	return nil
}

// product is the part of a Price List document models check reads.
type product struct {
	Product struct {
		Attributes map[string]string `json:"attributes"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// parseProduct reads the default-tier token rates of one Price List
// document of service code, or none.
func parseProduct(code, doc string) []listRate {
	var p product
	if json.Unmarshal([]byte(doc), &p) != nil {
		return nil
	}
	a := p.Product.Attributes
	name := a["model"]
	if code == priceListMarketplace {
		name = strings.TrimSpace(strings.TrimSuffix(a["servicename"], "(Amazon Bedrock Edition)"))
	}
	kind, global, ok := classify(a)
	if name == "" || !ok {
		return nil
	}
	var out []listRate
	for _, term := range p.Terms.OnDemand {
		for _, dim := range term.PriceDimensions {
			usd, err := strconv.ParseFloat(dim.PricePerUnit["USD"], 64)
			if err != nil || usd < 0 {
				continue
			}
			per1K, ok := per1KTokens(code, dim.Unit, usd)
			if !ok {
				continue
			}
			out = append(out, listRate{name: name, usage: strings.ToLower(a["usagetype"]), kind: kind, global: global, per1K: per1K})
		}
	}
	return out
}

// per1KTokens converts a rate to USD per 1,000 tokens from its unit, or
// reports that the unit is not a token unit models check knows: a wrong
// scale is worse than no price.
func per1KTokens(code, unit string, usd float64) (float64, bool) {
	switch u := strings.ToLower(strings.TrimSpace(unit)); {
	case u == "1k tokens" || u == "1000 tokens":
		return usd, true
	case u == "1m tokens" || u == "1000000 tokens":
		return usd / 1000, true
	case code == priceListMarketplace && u == "units":
		// A Marketplace "Units" usage type counts millions of tokens.
		return usd / 1000, true
	}
	return 0, false
}

// skippedUsage marks usage types, features and inference types that are
// not the default tier's on-demand text tokens.
var skippedUsage = []string{
	"batch", "flex", "priority", "reserved", "provisioned", "tpm", "custom", "customization",
	"training", "evaluation", "distillation", "embed", "image", "audio", "video", "speech",
	"1h", "latency", "search", "rerank",
}

// classify says which kind of token a product's attributes price, and
// whether it is the cross-Region (global) rate; ok is false for anything
// but a default-tier on-demand text-token rate.
func classify(a map[string]string) (kind tokenKind, global, ok bool) {
	feature := strings.ToLower(a["feature"])
	if feature != "" && (!strings.Contains(feature, "inference") || strings.Contains(feature, "batch")) {
		return 0, false, false
	}
	if t := strings.ToLower(a["service_tier"]); t != "" && t != "standard" && t != "default" {
		return 0, false, false
	}
	blob := strings.ToLower(a["inferenceType"] + " " + a["usagetype"])
	for _, s := range skippedUsage {
		if strings.Contains(blob, s) {
			return 0, false, false
		}
	}
	global = strings.Contains(blob, "global") || strings.Contains(blob, "cross-region")
	flat := strings.NewReplacer("_", "", "-", "", " ", "").Replace(blob)
	switch {
	case strings.Contains(flat, "cacheread"):
		return kindCacheRead, global, true
	case strings.Contains(flat, "cachewrite"):
		return kindCacheWrite, global, true
	case strings.Contains(flat, "input"):
		return kindInput, global, true
	case strings.Contains(flat, "output"):
		return kindOutput, global, true
	}
	return 0, false, false
}

// modelJoin finds the account model a Price List name stands for. The
// Price List names models for people ("Llama 3.3 70B", "Claude 4.6
// Sonnet"), ListFoundationModels gives both the ID and such a name
// ("Llama 3.3 70B Instruct"); both are reduced to a key of their words and
// numbers, in any order, and only a key that leads to one model counts.
type modelJoin struct {
	byKey  map[string][]*accountModel
	mantle map[string]*accountModel // "<model ID without version>-mantle"
}

func newModelJoin(models map[string]*accountModel) *modelJoin {
	j := &modelJoin{byKey: map[string][]*accountModel{}, mantle: map[string]*accountModel{}}
	ids := make([]string, 0, len(models))
	for id := range models {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		m := models[id]
		keys := []string{joinKey(id)}
		if m.name != "" {
			keys = append(keys, joinKey(m.name))
		}
		for _, k := range keys {
			if k != "" && !slices.Contains(j.byKey[k], m) {
				j.byKey[k] = append(j.byKey[k], m)
			}
		}
		j.mantle[strings.ToLower(versionSuffix.ReplaceAllString(id, ""))+"-mantle"] = m
	}
	return j
}

func (j *modelJoin) find(r listRate) *accountModel {
	for anchor, m := range j.mantle {
		if strings.Contains(r.usage, anchor) {
			return m
		}
	}
	if ms := j.byKey[joinKey(r.name)]; len(ms) == 1 {
		return ms[0]
	}
	return nil
}

var (
	// versionSuffix is the version tail of a model ID: "-v1:0", "-1:0",
	// "-v1", and a release date before it ("-20250929-v1:0").
	versionSuffix = regexp.MustCompile(`(-\d{8})?-(v\d+(:\d+)*|\d+:\d+)$`)
	// wordsAndNumbers splits "llama3-3-70b" and "Llama 3.3 70B" alike into
	// llama, 3, 3, 70, b.
	wordsAndNumbers = regexp.MustCompile(`[a-z]+|[0-9]+`)
	// joinNoise are words one naming has and the other lacks.
	joinNoise = map[string]bool{"instruct": true, "it": true, "mantle": true, "0": true}
)

// joinKey reduces a model ID ("meta.llama3-3-70b-instruct-v1:0") or a
// display name ("Llama 3.3 70B") to its sorted words and numbers, without
// the provider prefix, the version and noise words.
func joinKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if provider, rest, ok := strings.Cut(s, "."); ok && !strings.ContainsAny(provider, " 0123456789") {
		s = rest // "meta.llama3-3-…", not "Llama 3.3" or "gpt-5.5"
	}
	s = versionSuffix.ReplaceAllString(s, "")
	var words []string
	for _, w := range wordsAndNumbers.FindAllString(s, -1) {
		if !joinNoise[w] {
			words = append(words, w)
		}
	}
	slices.Sort(words)
	return strings.Join(words, " ")
}

// priceFor is the account's rates for the way the catalog calls a model:
// the global rates through the global profile, the Region's own otherwise
// (geographic profiles and the bare ID are billed at the source Region's
// rates).
func (a *accountModel) priceFor(profile string) catalog.RegionPrice {
	if profile == "global" {
		return a.globalPrice
	}
	return a.price
}
