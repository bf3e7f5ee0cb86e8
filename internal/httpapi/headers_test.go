package httpapi

import (
	"net/http"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestSetAccountHeaders(t *testing.T) {
	for name, want := range map[string]string{HeaderModel: canonicalModel, HeaderCache: canonicalCache, HeaderCost: canonicalCost} {
		if got := http.CanonicalHeaderKey(name); got != want {
			t.Errorf("canonical form of %s is %s, the code stores it as %s", name, got, want)
		}
	}
	cost := 0.000125
	for _, tc := range []struct {
		resp              gateway.Response
		model, hit, spent string
	}{
		{gateway.Response{Model: "nova-lite", EstimatedCostUSD: &cost}, "nova-lite", "miss", "0.000125"},
		{gateway.Response{Model: "nova-pro", Cached: true}, "nova-pro", "hit", "unknown"},
	} {
		h := http.Header{}
		SetAccountHeaders(h, &tc.resp)
		h.Add(HeaderModel, "second") // must not write into the cache header's value
		if got := h.Values(HeaderModel); len(got) != 2 || got[0] != tc.model {
			t.Errorf("%s = %q, want %q then the added value", HeaderModel, got, tc.model)
		}
		if got := h.Values(HeaderCache); len(got) != 1 || got[0] != tc.hit {
			t.Errorf("%s = %q, want %q", HeaderCache, got, tc.hit)
		}
		if got := h.Get(HeaderCost); got != tc.spent {
			t.Errorf("%s = %q, want %q", HeaderCost, got, tc.spent)
		}
	}
}
