package anthropicapi

import (
	"fmt"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

// TestResolveModel resolves the names Anthropic's API and Claude Code use
// against the embedded catalog, and a model added to it (a name this
// package has never heard of).
func TestResolveModel(t *testing.T) {
	added := t.TempDir() + "/models.json"
	writeFile(t, added, `[{"name":"claude-opus-9-9","model_id":"anthropic.claude-opus-9-9-20300101-v1:0","provider":"anthropic",
		"context_window":200000,"max_tokens":64000,"supports_system":true,"status":"active","min_temperature":0,"max_temperature":1}]`)
	cat, err := catalog.Load(catalog.Options{Region: "us-east-1", File: added})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ given, want string }{
		{"claude-sonnet-4-6", "claude-sonnet-4-6"},                                                 // a catalog name
		{"anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"}, // a Bedrock ID, kept
		{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},                                        // Anthropic's dated name
		{"claude-haiku-4-5-20251001", "claude-haiku-4-5"},
		{"claude-3-5-haiku-20241022", "claude-3-5-haiku"},
		{"claude-3-5-haiku-latest", "claude-3-5-haiku"},
		{"claude-sonnet-4-6[1m]", "claude-sonnet-4-6"},  // Claude Code's 1M-context tag
		{"Claude-Opus-4-6", "Claude-Opus-4-6"},          // the catalog resolves names case-insensitively
		{"claude-opus-4-6-20260101", "claude-opus-4-6"}, // a date the catalog does not know: the undated name
		{"claude-opus-9-9-20300101", "claude-opus-9-9"}, // a model added to the catalog
		{"claude-opus-9-9", "claude-opus-9-9"},
		{"claude-opus-1-0", "claude-opus-1-0"}, // nothing matches: left for the gateway to refuse
		{"gpt-4o", "gpt-4o"},
	}
	for _, tt := range tests {
		if got := resolveModel(cat, cat.Models, tt.given); got != tt.want {
			t.Errorf("resolveModel(%q) = %q, want %q", tt.given, got, tt.want)
		}
	}
}

// TestModelNamesBounded checks that remembered resolutions answer as
// resolveModel does, and that callers sending new names cannot grow the
// memory past maxResolved.
func TestModelNamesBounded(t *testing.T) {
	cat, err := catalog.Load(catalog.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	n := &modelNames{cat: cat, models: cat.Models}
	for range 2 { // the second round reads what the first remembered
		if got := n.resolve("claude-haiku-4-5-20251001"); got != "claude-haiku-4-5" {
			t.Errorf("resolve(claude-haiku-4-5-20251001) = %q, want claude-haiku-4-5", got)
		}
	}
	for i := range maxResolved + 10 {
		name := fmt.Sprintf("no-such-model-%d", i)
		if got := n.resolve(name); got != name {
			t.Fatalf("resolve(%q) = %q, want it as given", name, got)
		}
	}
	if len(n.known) != maxResolved {
		t.Errorf("remembered %d names, want the cap %d", len(n.known), maxResolved)
	}
	if got := n.resolve("claude-sonnet-4-5-20250929"); got != "claude-sonnet-4-5" {
		t.Errorf("resolve past the cap = %q, want claude-sonnet-4-5", got)
	}
}
