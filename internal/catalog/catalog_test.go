package catalog

import (
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// mustLoad loads a catalog or fails the test.
// catalogDay is the day the catalog's lifecycle data was checked: tests load
// it as of that day, so that they do not change when a model's end-of-life
// date passes.
var catalogDay = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func mustLoad(t testing.TB, opts Options) *Catalog {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return catalogDay }
	}
	c, err := Load(opts)
	if err != nil {
		t.Fatalf("Load(%+v) = %v", opts, err)
	}
	return c
}

// writeModels writes a user models file and returns its path.
func writeModels(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "models.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// entryByName finds a listed model.
func entryByName(t *testing.T, c *Catalog, name string) Entry {
	t.Helper()
	for _, e := range c.Models() {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("Models() has no %q", name)
	return Entry{}
}

func TestLoadEmbedded(t *testing.T) {
	c := mustLoad(t, Options{})
	if got := c.Region(); got != DefaultRegion {
		t.Errorf("Region() = %q, want %q", got, DefaultRegion)
	}
	models := c.Models()
	sorted := slices.IsSortedFunc(models, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Name, b.Name))
	})
	if !sorted {
		t.Error("Models() is not ordered by provider, then name")
	}
	// Beyond the seed's table, the brief asks for these.
	for _, name := range []string{
		"claude-sonnet-4-5", "claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-5", "claude-opus-4-6",
		"nova-premier", "nova-2-lite", "llama-4-scout", "llama-4-maverick", "deepseek-r1",
		"pixtral-large", "gpt-oss-120b", "gpt-oss-20b",
	} {
		e := entryByName(t, c, name)
		if e.Source == "" {
			t.Errorf("%s has no source note", name)
		}
	}
	for _, e := range models {
		if e.Source == "" {
			t.Errorf("%s has no source note", e.Name)
		}
		// A price no source confirms stays unknown, and the source says so.
		if e.Callable && !e.Priced && !strings.Contains(e.Source, "unpriced") {
			t.Errorf("%s is unpriced but its source does not say why", e.Name)
		}
	}
}

// TestSeedModels checks that every model of the seed's table is present
// under its name, with the seed's prices unless Bedrock's differ (then the
// entry's source says so).
func TestSeedModels(t *testing.T) {
	c := mustLoad(t, Options{})
	tests := []struct {
		name        string
		in, out     float64 // the seed's USD per 1K tokens
		bedrockDiff bool    // Bedrock's current price differs from the seed's
	}{
		{"nova-pro", 0.0008, 0.0032, false},
		{"nova-lite", 0.00006, 0.00024, false},
		{"nova-micro", 0.000035, 0.00014, false},
		{"claude-3-5-sonnet", 0.003, 0.015, false},
		{"claude-3-5-haiku", 0.001, 0.005, true},
		{"claude-3-opus", 0.015, 0.075, false},
		{"claude-3-sonnet", 0.003, 0.015, false},
		{"claude-3-haiku", 0.00025, 0.00125, false},
		{"llama-3-3-70b", 0.00065, 0.00065, true},
		{"llama-3-2-90b", 0.0008, 0.0008, true},
		{"llama-3-2-11b", 0.00016, 0.00016, false},
		{"llama-3-1-70b", 0.00099, 0.00099, true},
		{"llama-3-1-8b", 0.00022, 0.00022, false},
		{"mistral-large-2", 0.003, 0.009, false},
		{"mistral-small", 0.001, 0.003, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entryByName(t, c, tt.name)
			if !e.Callable { // an in-Region model: list it from its Region
				e = entryByName(t, mustLoad(t, Options{Region: e.Regions[0]}), tt.name)
			}
			if !e.SupportsSystem || e.ContextWindow <= 0 || e.MaxTokens <= 0 || e.Description == "" || e.ModelID == "" {
				t.Errorf("entry lacks seed fields: %+v", e)
			}
			samePrice := e.InputCostPer1K != nil && *e.InputCostPer1K == tt.in && *e.OutputCostPer1K == tt.out
			switch {
			case !tt.bedrockDiff && !samePrice:
				t.Errorf("price = %v/%v, want the seed's %g/%g", e.InputCostPer1K, e.OutputCostPer1K, tt.in, tt.out)
			case tt.bedrockDiff && samePrice:
				t.Errorf("price = the seed's %g/%g, want Bedrock's", tt.in, tt.out)
			case tt.bedrockDiff && !strings.Contains(e.Source, "seed"):
				t.Errorf("source %q does not explain the change from the seed's price", e.Source)
			}
		})
	}
}

// TestSeedListModelsRow checks the seed README's list_models example row.
func TestSeedListModelsRow(t *testing.T) {
	c := mustLoad(t, Options{})
	var rows []map[string]any
	data, err := json.Marshal(c.Models())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name":               "nova-pro",
		"model_id":           "us.amazon.nova-pro-v1:0",
		"description":        "Advanced multimodal AI model with superior reasoning",
		"context_window":     300000.0,
		"input_cost_per_1k":  0.0008,
		"output_cost_per_1k": 0.0032,
		"supports_system":    true,
		"max_tokens":         10000.0, // the seed said 5000, Nova's launch limit
	}
	for _, row := range rows {
		if row["name"] != "nova-pro" {
			continue
		}
		got := make(map[string]any)
		for k := range want {
			got[k] = row[k]
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("nova-pro row (-want +got):\n%s", diff)
		}
		if row["priced"] != true {
			t.Errorf("nova-pro priced = %v, want true", row["priced"])
		}
		return
	}
	t.Fatal("no nova-pro row")
}

func TestModelsIsACopy(t *testing.T) {
	c := mustLoad(t, Options{})
	m := c.Models()
	m[0].Name = "changed"
	m[0].Profiles = append(m[0].Profiles[:0], "changed")
	if got := c.Models()[0]; got.Name == "changed" || slices.Contains(got.Profiles, "changed") {
		t.Errorf("Models() shares memory with the catalog: %+v", got)
	}
}

func TestBedrockLimits(t *testing.T) {
	c := mustLoad(t, Options{Region: "eu-west-1"})
	limits := c.BedrockLimits()
	if got, want := len(limits), len(c.Models()); got != want {
		t.Errorf("len(BedrockLimits()) = %d, want %d", got, want)
	}
	for id, want := range map[string]int{
		"amazon.nova-pro-v1:0":                      10000,
		"anthropic.claude-opus-4-6-v1":              128000,
		"anthropic.claude-sonnet-4-5-20250929-v1:0": 64000,
		"anthropic.claude-3-haiku-20240307-v1:0":    4096,
	} {
		if got := limits[id]; got != want {
			t.Errorf("BedrockLimits()[%q] = %d, want %d", id, got, want)
		}
	}
}
