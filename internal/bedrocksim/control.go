package bedrocksim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// AccountModel is one foundation model as the control plane and the Price
// List describe it for the simulated account, in Options.Region.
type AccountModel struct {
	ID       string // base model ID
	Name     string // the model's display name
	Provider string
	// Legacy marks a model Bedrock lists with lifecycle status LEGACY.
	Legacy bool
	// OnDemand is true when the bare ID is served on demand in the Region.
	OnDemand bool
	// Profiles are the system inference profiles ("us", "global", …) the
	// Region may call for the model.
	Profiles []string
	// NoAccess makes GetFoundationModelAvailability say the account is not
	// authorized for the model.
	NoAccess bool
	// Prices, USD per 1,000 tokens, as the Price List gives them for the
	// Region; a nil field is a price the Price List does not have.
	Input, Output, CacheRead, CacheWrite *float64
}

const (
	pricingRegion  = "us-east-1"
	pricingService = "pricing"
	pricingTarget  = "AWSPriceListService."
	// ServiceCode is the Price List's service code for Amazon Bedrock.
	ServiceCode = "AmazonBedrock"
)

func isPricing(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), pricingTarget)
}

// control answers the control-plane and Price List operations, and reports
// whether the request was one.
func (s *Server) control(w http.ResponseWriter, r *http.Request, requestID string, body []byte) bool {
	if isPricing(r) {
		s.getProducts(w, r, requestID, body)
		return true
	}
	if r.Method != http.MethodGet {
		return false
	}
	path := requestPath(r)
	switch {
	case path == "/foundation-models":
		s.listFoundationModels(w, requestID)
	case path == "/inference-profiles":
		s.listInferenceProfiles(w, requestID)
	case strings.HasPrefix(path, "/foundation-model-availability/"):
		id, err := url.PathUnescape(strings.TrimPrefix(path, "/foundation-model-availability/"))
		if err != nil {
			validationError("%s", msgInvalidModel).write(w, requestID)
			return true
		}
		s.availability(w, requestID, id)
	default:
		return false
	}
	return true
}

func (s *Server) arn(kind, id string) string {
	return "arn:aws:bedrock:" + s.opts.Region + "::" + kind + "/" + id
}

func (s *Server) listFoundationModels(w http.ResponseWriter, requestID string) {
	type lifecycle struct {
		Status string `json:"status"`
	}
	type summary struct {
		ModelArn                   string    `json:"modelArn"`
		ModelID                    string    `json:"modelId"`
		ModelName                  string    `json:"modelName"`
		ProviderName               string    `json:"providerName"`
		InferenceTypesSupported    []string  `json:"inferenceTypesSupported"`
		ModelLifecycle             lifecycle `json:"modelLifecycle"`
		ResponseStreamingSupported bool      `json:"responseStreamingSupported"`
	}
	out := struct {
		ModelSummaries []summary `json:"modelSummaries"`
	}{ModelSummaries: []summary{}}
	for _, m := range s.opts.Account {
		var types []string
		if m.OnDemand {
			types = append(types, "ON_DEMAND")
		}
		if len(m.Profiles) > 0 {
			types = append(types, "INFERENCE_PROFILE")
		}
		status := "ACTIVE"
		if m.Legacy {
			status = "LEGACY"
		}
		out.ModelSummaries = append(out.ModelSummaries, summary{
			ModelArn: s.arn("foundation-model", m.ID), ModelID: m.ID, ModelName: m.Name, ProviderName: m.Provider,
			InferenceTypesSupported: types, ModelLifecycle: lifecycle{Status: status}, ResponseStreamingSupported: true,
		})
	}
	writeJSON(w, requestID, out)
}

func (s *Server) listInferenceProfiles(w http.ResponseWriter, requestID string) {
	type model struct {
		ModelArn string `json:"modelArn"`
	}
	type summary struct {
		InferenceProfileArn  string  `json:"inferenceProfileArn"`
		InferenceProfileID   string  `json:"inferenceProfileId"`
		InferenceProfileName string  `json:"inferenceProfileName"`
		Models               []model `json:"models"`
		Status               string  `json:"status"`
		Type                 string  `json:"type"`
	}
	out := struct {
		InferenceProfileSummaries []summary `json:"inferenceProfileSummaries"`
	}{InferenceProfileSummaries: []summary{}}
	for _, m := range s.opts.Account {
		for _, p := range m.Profiles {
			id := p + "." + m.ID
			out.InferenceProfileSummaries = append(out.InferenceProfileSummaries, summary{
				InferenceProfileArn: s.arn("inference-profile", id), InferenceProfileID: id,
				InferenceProfileName: strings.ToUpper(p) + " " + m.Name,
				Models:               []model{{ModelArn: s.arn("foundation-model", m.ID)}},
				Status:               "ACTIVE", Type: "SYSTEM_DEFINED",
			})
		}
	}
	writeJSON(w, requestID, out)
}

func (s *Server) availability(w http.ResponseWriter, requestID, id string) {
	for _, m := range s.opts.Account {
		if m.ID != id {
			continue
		}
		auth, agreement := "AUTHORIZED", "AVAILABLE"
		if m.NoAccess {
			auth, agreement = "NOT_AUTHORIZED", "NOT_AVAILABLE"
		}
		writeJSON(w, requestID, map[string]any{
			"modelId":                 id,
			"agreementAvailability":   map[string]string{"status": agreement},
			"authorizationStatus":     auth,
			"entitlementAvailability": "AVAILABLE",
			"regionAvailability":      "AVAILABLE",
		})
		return
	}
	(&apiError{status: http.StatusNotFound, code: "ResourceNotFoundException", message: "The specified model " + id + " is not found."}).write(w, requestID)
}

// Price List usage types for the kinds of token, as the simulator names
// them in each product's "inferenceType" attribute.
const (
	PriceInput      = "input tokens"
	PriceOutput     = "output tokens"
	PriceCacheRead  = "cache read input tokens"
	PriceCacheWrite = "cache write input tokens"
)

// getProducts answers GetProducts for ServiceCode AmazonBedrock: one
// product per model and kind of token, priced per 1K tokens, in the Price
// List's JSON (each a string in PriceList). Filters on regionCode and model
// are honoured; others are ignored.
func (s *Server) getProducts(w http.ResponseWriter, r *http.Request, requestID string, body []byte) {
	if r.Header.Get("X-Amz-Target") != pricingTarget+"GetProducts" {
		(&apiError{status: http.StatusBadRequest, code: codeUnknownOperation, message: "Unknown operation " + r.Header.Get("X-Amz-Target")}).write(w, requestID)
		return
	}
	var in struct {
		ServiceCode string
		Filters     []struct{ Type, Field, Value string }
	}
	if err := json.Unmarshal(body, &in); err != nil || in.ServiceCode != ServiceCode {
		validationError("ServiceCode must be %s", ServiceCode).write(w, requestID)
		return
	}
	region, model := s.opts.Region, ""
	for _, f := range in.Filters {
		switch f.Field {
		case "regionCode":
			region = f.Value
		case "model":
			model = f.Value
		}
	}
	list := []string{}
	if region == s.opts.Region {
		for _, m := range s.opts.Account {
			if model != "" && model != m.ID {
				continue
			}
			for _, kind := range []struct {
				name  string
				price *float64
			}{{PriceInput, m.Input}, {PriceOutput, m.Output}, {PriceCacheRead, m.CacheRead}, {PriceCacheWrite, m.CacheWrite}} {
				if kind.price == nil {
					continue
				}
				list = append(list, string(mustMarshal(product(region, m.ID, kind.name, *kind.price))))
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	writeJSON(w, requestID, map[string]any{"FormatVersion": "aws_v1", "PriceList": list})
}

// product is one Price List entry: the product's attributes and its
// on-demand term.
func product(region, model, kind string, per1K float64) map[string]any {
	sku := strings.NewReplacer(".", "", ":", "", "-", "").Replace(region + model + kind)
	return map[string]any{
		"product": map[string]any{
			"sku":           sku,
			"productFamily": "Amazon Bedrock",
			"attributes": map[string]string{
				"servicecode":   ServiceCode,
				"regionCode":    region,
				"model":         model,
				"inferenceType": kind,
				"feature":       "On-demand Inference",
			},
		},
		"terms": map[string]any{"OnDemand": map[string]any{sku + ".JRTCKXETXF": map[string]any{
			"priceDimensions": map[string]any{sku + ".JRTCKXETXF.6YS6EN2CT7": map[string]any{
				"unit":         "1K tokens",
				"pricePerUnit": map[string]string{"USD": strconv.FormatFloat(per1K, 'f', -1, 64)},
			}},
		}}},
	}
}
