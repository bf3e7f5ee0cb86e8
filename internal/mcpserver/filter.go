package mcpserver

import (
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// checkFilters refuses malformed filters, saying what to change.
func (in *ListModelsInput) checkFilters() error {
	for _, f := range []struct{ name, v string }{
		{"released_after", in.ReleasedAfter},
		{"released_before", in.ReleasedBefore},
	} {
		if f.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, f.v); err != nil {
			return gateway.Invalid(f.name, "%q is not a date; give it as YYYY-MM-DD, e.g. 2026-06-01", f.v)
		}
	}
	return nil
}

// matches applies the family, release-date, new and callable filters. A
// model whose release date is unknown matches no date filter.
func (in *ListModelsInput) matches(m *ModelInfo) bool {
	if f := strings.ToLower(in.Family); f != "" {
		// A family matches itself and its sub-families: "claude" matches
		// claude-opus and claude-sonnet.
		if fam := strings.ToLower(m.Family); fam != f && !strings.HasPrefix(fam, f+"-") {
			return false
		}
	}
	// Validated dates compare as strings.
	if in.ReleasedAfter != "" && (m.Released == "" || m.Released < in.ReleasedAfter) {
		return false
	}
	if in.ReleasedBefore != "" && (m.Released == "" || m.Released >= in.ReleasedBefore) {
		return false
	}
	if in.New != nil && m.New != *in.New {
		return false
	}
	if in.Callable != nil && m.Callable != *in.Callable {
		return false
	}
	return true
}
