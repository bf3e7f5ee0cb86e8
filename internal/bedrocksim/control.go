package bedrocksim

import (
	"encoding/json"
	"net/http"
	"net/url"
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
	// PriceName is the model's name in the Price List ("Nova Pro",
	// "Claude Sonnet 4.5"), which is not its ID; if empty, Name.
	PriceName string
	// Marketplace lists the model's prices under MarketplaceServiceCode,
	// as AWS does for Anthropic's models, rather than ServiceCode.
	Marketplace bool
	// Prices, USD per 1,000 tokens, as the Price List gives them for the
	// Region; a nil field is a price the Price List does not have.
	Input, Output, CacheRead, CacheWrite *float64
	// Global are the rates through the global cross-Region profile; nil
	// fields are not listed.
	Global struct{ Input, Output, CacheRead, CacheWrite *float64 }
}

const (
	pricingRegion  = "us-east-1"
	pricingService = "pricing"
	pricingTarget  = "AWSPriceListService."
	// ServiceCode is the Price List's service code for Amazon Bedrock's
	// own listings (Amazon's models and most open-weight ones).
	ServiceCode = "AmazonBedrock"
	// MarketplaceServiceCode is the Price List's service code for the
	// models Bedrock sells through AWS Marketplace (Anthropic's among them).
	MarketplaceServiceCode = "AmazonBedrockFoundationModels"
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

// getProducts answers GetProducts for the Price List's two Bedrock service
// codes in the shape AWS publishes them (see pricelist.go). Every filter is
// a TERM_MATCH on a product attribute, as in the real API.
func (s *Server) getProducts(w http.ResponseWriter, r *http.Request, requestID string, body []byte) {
	if r.Header.Get("X-Amz-Target") != pricingTarget+"GetProducts" {
		(&apiError{status: http.StatusBadRequest, code: codeUnknownOperation, message: "Unknown operation " + r.Header.Get("X-Amz-Target")}).write(w, requestID)
		return
	}
	var in struct {
		ServiceCode string
		Filters     []struct{ Type, Field, Value string }
	}
	if err := json.Unmarshal(body, &in); err != nil || (in.ServiceCode != ServiceCode && in.ServiceCode != MarketplaceServiceCode) {
		validationError("ServiceCode must be %s or %s", ServiceCode, MarketplaceServiceCode).write(w, requestID)
		return
	}
	list := []string{}
	for _, p := range s.priceList(in.ServiceCode) {
		attrs := p["product"].(map[string]any)["attributes"].(map[string]string)
		match := true
		for _, f := range in.Filters {
			if strings.EqualFold(f.Field, "ServiceCode") {
				continue
			}
			if attrs[f.Field] != f.Value {
				match = false
			}
		}
		if match {
			list = append(list, string(mustMarshal(p)))
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	writeJSON(w, requestID, map[string]any{"FormatVersion": "aws_v1", "PriceList": list})
}
