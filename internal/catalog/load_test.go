package catalog

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestOverrideFile(t *testing.T) {
	path := writeModels(t, `[
  {"name": "acme-small", "model_id": "acme.small-v1:0", "provider": "acme",
   "description": "A model the embedded catalog lacks", "context_window": 8000, "max_tokens": 1000},
  {"name": "NOVA-PRO", "max_tokens": 4000, "default_max_tokens": 0},
  {"name": "claude-3-haiku", "input_cost_per_1k": null, "output_cost_per_1k": null}
]`)
	var logs bytes.Buffer
	c := mustLoad(t, Options{File: path, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	// Added: unpriced, default temperature range, bare ID.
	added, err := c.Resolve("acme-small")
	if err != nil {
		t.Fatal(err)
	}
	want := gateway.Model{Name: "acme-small", ID: "acme.small-v1:0", ContextWindow: 8000,
		MaxOutputTokens: 1000, MaxTemperature: 1, Status: gateway.StatusActive, Endpoint: gateway.EndpointRuntime}
	want.Pricing = &gateway.Pricing{Rates: []gateway.Rate{{Tier: gateway.TierDefault}}} // one band, unknown
	if diff := gocmp.Diff(want, added); diff != "" {
		t.Errorf("added model (-want +got):\n%s", diff)
	}
	if cost, ok := c.Cost(added, gateway.Usage{InputTokens: 10}); ok || cost != 0 {
		t.Errorf("Cost(unpriced) = %d, %v, want 0, false", cost, ok)
	}
	e := entryByName(t, c, "acme-small")
	if e.Priced || e.InputCostPer1K != nil {
		t.Errorf("unpriced entry = %+v, want Priced false and no costs", e)
	}

	// Overridden: only max_tokens changed, the name keeps its spelling.
	pro := entryByName(t, c, "nova-pro")
	if pro.MaxTokens != 4000 || pro.InputCostPer1K == nil || *pro.InputCostPer1K != 0.0008 || pro.ContextWindow != 300000 ||
		pro.ModelID != "us.amazon.nova-pro-v1:0" || pro.Description == "" {
		t.Errorf("overridden nova-pro = %+v, want only max_tokens changed to 4000", pro)
	}

	// A null price makes a model unpriced.
	haiku, err := c.Resolve("claude-3-haiku")
	if err != nil {
		t.Fatal(err)
	}
	if haiku.Price != nil {
		t.Errorf("claude-3-haiku Price = %+v, want nil", haiku.Price)
	}
	if got := logs.String(); !strings.Contains(got, "added=1") || !strings.Contains(got, "overridden=2") {
		t.Errorf("log = %q, want added=1 overridden=2", got)
	}
}

func TestUnpricedJSON(t *testing.T) {
	path := writeModels(t, `[{"name": "nova-lite", "input_cost_per_1k": null, "output_cost_per_1k": null, "cache_read_cost_per_1k": null}]`)
	c := mustLoad(t, Options{File: path})
	data, err := jsonOf(entryByName(t, c, "nova-lite"))
	if err != nil {
		t.Fatal(err)
	}
	top, _, _ := strings.Cut(data, `"rates"`) // a batch rate of its own is still known
	if !strings.Contains(data, `"priced":false`) || strings.Contains(top, "cost_per_1k") ||
		!strings.Contains(data, `{"service_tier":"default","priced":false}`) {
		t.Errorf("unpriced entry JSON = %s, want priced:false and no cost fields", data)
	}
}

// TestLoadErrors checks that each problem is reported, naming its model (or
// the file and position for malformed JSON), and that all are reported at
// once.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		wantAll []string
	}{
		{"duplicate name",
			`[{"name": "twin", "model_id": "acme.a-v1", "provider": "acme", "context_window": 10, "max_tokens": 5},
  {"name": "Twin", "model_id": "acme.b-v1", "provider": "acme", "context_window": 10, "max_tokens": 5}]`,
			[]string{`:2:3: model "Twin": duplicate name (also model #1 of this file)`}},
		{"negative price", `[{"name": "nova-pro", "input_cost_per_1k": -0.001}]`,
			[]string{`model "nova-pro": input_cost_per_1k must be 0 or more`}},
		{"missing replacement", `[{"name": "nova-lite", "replacement": "nova-ultra"}]`,
			[]string{`model "nova-lite": replacement "nova-ultra" is not a model in the catalog`}},
		{"bad JSON", "[\n  {\"name\": \"nova-pro\",}\n]",
			[]string{"models.json:2:23: invalid character '}'"}},
		{"wrong type", "[\n  {\"name\": \"nova-pro\",\n   \"context_window\": \"big\"}\n]",
			[]string{`models.json:3:27: model "nova-pro": `, "context_window"}},
		{"misspelt field", `[{"name": "nova-pro", "max_token": 10}]`,
			[]string{`models.json:1:2: model "nova-pro": `, `unknown field "max_token"`}},
		{"not an array", `{"name": "nova-pro"}`, []string{"models.json:1:1: want a JSON array of models"}},
		{"truncated JSON", "[\n  {\"name\": \"nova-pro\"", []string{"models.json:2:", "unexpected end of JSON input"}},
		{"data after the array", "[]\n[]", []string{"models.json:2:1: invalid character '['"}},
		{"no name", `[{"max_tokens": 10}]`, []string{"model #1 (no name): name is required"}},
		{"many problems at once",
			`[{"name": "nova-pro", "status": "retired", "output_cost_per_1k": -1, "profiles": ["us", "mars"]},
  {"name": "nova-micro", "end_of_life": "31/12/2026", "min_temperature": 1, "max_temperature": 0.5},
  {"name": "odd", "model_id": "us.acme.odd-v1", "provider": "acme", "context_window": 100, "max_tokens": 200,
   "input_cost_per_1k": 0.001, "requires_profile": true, "profile_prices": {"eu": {"input_cost_per_1k": 1}}},
  {"name": "same-id", "model_id": "amazon.nova-lite-v1:0", "provider": "amazon", "context_window": 1, "max_tokens": 1}]`,
			[]string{
				`model "nova-pro": status "retired" must be "active", "legacy" or "end-of-life"`,
				`model "nova-pro": output_cost_per_1k must be 0 or more`,
				`model "nova-pro": profile "mars" must be one of`,
				`model "nova-micro": end_of_life "31/12/2026" must be a date as YYYY-MM-DD`,
				`model "nova-micro": temperature range [1, 0.5]`,
				`model "odd": model_id "us.acme.odd-v1" must be the base model ID, without the "us" inference-profile prefix`,
				`model "odd": max_tokens (200) must not exceed context_window (100)`,
				`model "odd": input_cost_per_1k and output_cost_per_1k must be given together`,
				`model "odd": requires_profile is set but no profiles are listed`,
				`model "odd": profile_prices has "eu", which is not in profiles`,
				`model "same-id": model_id "amazon.nova-lite-v1:0" is also the model_id of model "nova-lite"`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeModels(t, tt.file)
			_, err := Load(Options{File: path})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, want := range tt.wantAll {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Load error lacks %q:\n%v", want, err)
				}
			}
			if strings.Contains(tt.name, "JSON") || strings.Contains(tt.name, "field") || strings.Contains(tt.name, "type") {
				if !strings.Contains(err.Error(), path) {
					t.Errorf("Load error does not name the file %s:\n%v", path, err)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(Options{File: "/nonexistent/models.json"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/models.json") {
		t.Errorf("Load(missing file) = %v, want an error naming the file", err)
	}
}

// A models file that never ends (a wrong path) fails at once.
func TestLoadEndlessFile(t *testing.T) {
	_, err := Load(Options{File: "/dev/zero"})
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Load(/dev/zero) = %v, want a too-large error", err)
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncd\n")
	for _, tt := range []struct {
		offset int64
		want   string
	}{{0, "1:1"}, {1, "1:2"}, {3, "2:1"}, {4, "2:2"}, {6, "3:1"}, {99, "3:1"}, {-1, "1:1"}} {
		if got := lineCol(data, tt.offset); got != tt.want {
			t.Errorf("lineCol(%d) = %s, want %s", tt.offset, got, tt.want)
		}
	}
}

// TestOverrideNullResets checks that null resets a field: here the per-profile
// prices, after which the profiles left use the base (regional) price.
func TestOverrideNullResets(t *testing.T) {
	path := writeModels(t, `[{"name": "claude-opus-4-5", "profiles": ["us", "global"], "profile_prices": null}]`)
	c := mustLoad(t, Options{Region: "sa-east-1", File: path})
	m, err := c.Resolve("claude-opus-4-5")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "global.anthropic.claude-opus-4-5-20251101-v1:0" || m.Price == nil || m.Price.Input != 5_500_000 {
		t.Errorf("Resolve(claude-opus-4-5) = %s at %+v, want the global profile at 5500000 per input token", m.ID, m.Price)
	}
}

// The embedded catalog is decoded in one go at start; it must give exactly
// what the entry-by-entry reading (which places problems in the file)
// gives.
func TestFreshDecodeMatchesEntries(t *testing.T) {
	fast := &merger{index: make(map[string]int)}
	if !fast.addFresh(embeddedModels) {
		t.Fatal("addFresh refused the embedded catalog")
	}
	slow := &merger{index: make(map[string]int)}
	if err := slow.applyEntries(embeddedFile, embeddedModels); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast.specs, slow.specs) || !reflect.DeepEqual(fast.index, slow.index) {
		t.Errorf("decoded in one go, the embedded catalog differs from its entry-by-entry reading")
	}
}

// A first file with a problem is left to the entry-by-entry reading, which
// says where the problem is.
func TestFreshDecodeRefusesProblems(t *testing.T) {
	for name, file := range map[string]string{
		"duplicate name": `[{"name": "a", "max_tokens": 1}, {"name": "A", "max_tokens": 1}]`,
		"no name":        `[{"max_tokens": 10}]`,
		"data after":     "[]\n[]",
		"not an array":   `{"name": "a"}`,
		"null":           `null`,
		"bad JSON":       `[{"name": "a",}]`,
	} {
		m := &merger{index: make(map[string]int)}
		if m.addFresh([]byte(file)) || len(m.specs) != 0 {
			t.Errorf("%s: addFresh accepted %s", name, file)
		}
	}
	m := &merger{index: make(map[string]int)}
	if err := m.apply("models.json", []byte(`[{"name": "a"}, {"name": "A"}]`)); err == nil ||
		!strings.Contains(err.Error(), `models.json:1:17: model "A": duplicate name`) {
		t.Errorf("apply of a first file with a duplicate = %v, want the entry-by-entry error with its place", err)
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
