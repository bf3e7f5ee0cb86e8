package mcpserver

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestNoticesOfLifecycle(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	models := []ModelInfo{
		{Name: "old", Status: "legacy", EndOfLife: "2027-06-01", Replacement: "new"},
		{Name: "older", Status: "legacy"},
		{Name: "ending", Status: "active", EndOfLife: "2027-01-15"},
		{Name: "new", Status: "active", EndOfLife: "2028-01-01"},
		{Name: "plain", Status: "active"},
	}
	s := &server{opts: Options{Models: func() []ModelInfo { return models }}} // read at the first notice
	for _, tt := range []struct {
		model string
		want  []string
	}{
		{"old", []string{"old is a legacy model; Bedrock retires it on 2027-06-01; move to new"}},
		{"older", []string{"older is a legacy model and will be retired"}},
		{"ending", []string{"ending reaches its end of life on 2027-01-15"}},
		{"new", nil},
		{"plain", nil},
		{"unknown", nil},
	} {
		var got []string
		for _, n := range s.noticesOf(&gateway.Response{Model: tt.model}, now) {
			if n.Kind != "lifecycle" || n.Level != "warning" {
				t.Errorf("noticesOf(%s) = %+v, want a lifecycle warning", tt.model, n)
			}
			got = append(got, n.Message)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("noticesOf(%s) (-want +got):\n%s", tt.model, diff)
		}
	}
}
