package httpapi

import (
	"net/http"
	"strconv"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Response headers that carry the gateway's account of a call, the same
// on every HTTP API.
const (
	HeaderModel = "X-LLM-Gateway-Model"    // catalog name of the model that answered
	HeaderCache = "X-LLM-Gateway-Cache"    // "hit" or "miss"
	HeaderCost  = "X-LLM-Gateway-Cost-Usd" // what the call spent; "unknown" for an unpriced model
)

// The same names as net/http stores them (http.CanonicalHeaderKey), so
// that they are set without being canonicalised on every call.
const (
	canonicalModel = "X-Llm-Gateway-Model"
	canonicalCache = "X-Llm-Gateway-Cache"
	canonicalCost  = "X-Llm-Gateway-Cost-Usd"
)

// SetAccountHeaders puts the gateway's account of a call in h: the model
// that answered, hit or miss, and what it cost.
func SetAccountHeaders(h http.Header, resp *gateway.Response) {
	cache, cost := "miss", "unknown"
	if resp.Cached {
		cache = "hit"
	}
	if resp.EstimatedCostUSD != nil {
		cost = strconv.FormatFloat(*resp.EstimatedCostUSD, 'f', -1, 64)
	}
	// One array holds the three values (Header.Set allocates a slice for
	// each); each header gets a full slice of its own, so that an Add
	// copies rather than writes into its neighbour.
	v := [...]string{resp.Model, cache, cost}
	h[canonicalModel] = v[0:1:1]
	h[canonicalCache] = v[1:2:2]
	h[canonicalCost] = v[2:3:3]
}
