package bedrocksim

import (
	"strconv"
	"strings"
)

// The simulated Price List publishes each account model's rates as AWS
// does (shapes read 2026-12-01 from the Billing and Cost Management API
// reference and from public clients of the Price List API):
//
//   - ServiceCode AmazonBedrock: one product per model and kind of token,
//     named by display name in "model", with "inferenceType" ("Input
//     tokens", "Output tokens", "Prompt cache read input tokens", …),
//     "feature" "On-demand Inference", "regionCode", "location" and a
//     "usagetype" such as "USE1-NovaPro-input-tokens"; priced per 1K tokens.
//     The same model also lists its batch rates (feature "Batch Inference"
//     with an inferenceType equal to the on-demand one) and its priority
//     rates ("Input tokens priority"), which a reader must not take for
//     the default tier's.
//   - ServiceCode AmazonBedrockFoundationModels (Marketplace): products
//     named by "servicename" ("Claude Sonnet 4.5 (Amazon Bedrock Edition)"),
//     with no inferenceType; the usagetype says the kind and the scope
//     ("USE1-MP:USE1_InputTokenCount-Units", "…_InputTokenCount_Global-Units",
//     "…_InputTokenCount_Batch-Units"), priced per unit of a million tokens.

// usagePrefixes are the usage-type prefixes of a few Regions; others use
// the Region's name in capitals.
var usagePrefixes = map[string]string{
	"us-east-1": "USE1", "us-east-2": "USE2", "us-west-2": "USW2", "eu-west-1": "EU",
	"eu-central-1": "EUC1", "ap-northeast-1": "APN1", "ap-southeast-2": "APS2",
	"us-gov-west-1": "UGW1", "sa-east-1": "SAE1",
}

func (s *Server) usagePrefix() string {
	if p, ok := usagePrefixes[s.opts.Region]; ok {
		return p
	}
	return strings.ToUpper(s.opts.Region)
}

// priceList is every product the simulated Price List has under code.
func (s *Server) priceList(code string) []map[string]any {
	var out []map[string]any
	pre := s.usagePrefix()
	for _, m := range s.opts.Account {
		if m.Marketplace != (code == MarketplaceServiceCode) {
			continue
		}
		name := m.PriceName
		if name == "" {
			name = m.Name
		}
		compact := strings.ReplaceAll(name, " ", "")
		kinds := []struct {
			price, global *float64
			it, usage     string
			meter         string
		}{
			{m.Input, m.Global.Input, "Input tokens", "input-tokens", "InputTokenCount"},
			{m.Output, m.Global.Output, "Output tokens", "output-tokens", "OutputTokenCount"},
			{m.CacheRead, m.Global.CacheRead, "Prompt cache read input tokens", "cache-read-input-token-count", "CacheReadInputTokenCount"},
			{m.CacheWrite, m.Global.CacheWrite, "Prompt cache write input tokens", "cache-write-input-token-count", "CacheWriteInputTokenCount"},
		}
		for _, k := range kinds {
			if code == MarketplaceServiceCode {
				mp := func(p *float64, suffix string, scale float64) {
					if p == nil {
						return
					}
					usage := pre + "-MP:" + pre + "_" + k.meter + suffix + "-Units"
					out = append(out, s.product(map[string]string{
						"servicecode": code, "servicename": name + " (Amazon Bedrock Edition)",
						"usagetype": usage, "regionCode": s.opts.Region, "location": s.opts.PriceLocation,
					}, *p*1000*scale, "Units"))
				}
				mp(k.price, "", 1)
				mp(k.global, "_Global", 1)
				mp(k.price, "_Batch", 0.5)
				continue
			}
			add := func(p *float64, inferenceType, usage, feature string, scale float64) {
				if p == nil {
					return
				}
				out = append(out, s.product(map[string]string{
					"servicecode": code, "model": name, "provider": m.Provider,
					"inferenceType": inferenceType, "feature": feature,
					"usagetype":  pre + "-" + compact + "-" + usage,
					"regionCode": s.opts.Region, "location": s.opts.PriceLocation, "locationType": "AWS Region",
				}, *p*scale, "1K tokens"))
			}
			add(k.price, k.it, k.usage, "On-demand Inference", 1)
			add(k.global, k.it, k.usage+"-cross-region-global", "On-demand Inference", 1)
			add(k.price, k.it, k.usage+"-batch", "Batch Inference", 0.5)
			add(k.price, k.it+" priority", k.usage+"-priority", "On-demand Inference", 1.75)
		}
	}
	return out
}

// product is one Price List document: the product's attributes and one
// on-demand term with one price dimension.
func (s *Server) product(attrs map[string]string, price float64, unit string) map[string]any {
	sku := strings.NewReplacer(".", "", ":", "", "-", "", "_", "").Replace(attrs["usagetype"])
	return map[string]any{
		"product":     map[string]any{"sku": sku, "productFamily": "Amazon Bedrock", "attributes": attrs},
		"serviceCode": attrs["servicecode"],
		"terms": map[string]any{"OnDemand": map[string]any{sku + ".JRTCKXETXF": map[string]any{
			"sku": sku, "effectiveDate": "2026-12-01T00:00:00Z",
			"priceDimensions": map[string]any{sku + ".JRTCKXETXF.6YS6EN2CT7": map[string]any{
				"unit":         unit,
				"pricePerUnit": map[string]string{"USD": strconv.FormatFloat(price, 'f', -1, 64)},
			}},
		}}},
	}
}
