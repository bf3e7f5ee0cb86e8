package catalog

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

var (
	// A Bedrock base model ID: provider, a dot, the model (letters, digits,
	// dots, hyphens, an optional :version).
	baseModelID = regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9][a-z0-9.-]*(:[0-9]+)?$`)
	// Claude models from Opus 4.7 on carry no date or version suffix.
	undatedClaude = regexp.MustCompile(`^anthropic\.claude-(opus|sonnet|haiku|fable)-[0-9]+(-[0-9]+)?$`)
)

// TestEveryModel checks each catalog model's ID, profiles and rules.
func TestEveryModel(t *testing.T) {
	c := mustLoad(t, Options{})
	for _, e := range c.Models() {
		t.Run(e.Name, func(t *testing.T) {
			if !baseModelID.MatchString(e.BaseModelID) {
				t.Errorf("model_id %q is not a Bedrock base model ID", e.BaseModelID)
			}
			if e.RequiresProfile && len(e.Profiles) == 0 {
				t.Error("requires a profile but lists none")
			}
			if e.RequiresProfile && e.Profile == "" && e.Callable {
				t.Errorf("requires a profile, but us-east-1 resolves it to the bare ID %q", e.ModelID)
			}
			if e.Profile != "" && e.ModelID != e.Profile+"."+e.BaseModelID {
				t.Errorf("model ID %q does not use profile %q", e.ModelID, e.Profile)
			}
			if strings.HasPrefix(e.BaseModelID, "anthropic.") && !strings.Contains(e.BaseModelID, ":") && !strings.HasSuffix(e.BaseModelID, "-v1") {
				if !undatedClaude.MatchString(e.BaseModelID) {
					t.Errorf("undated Claude ID %q does not match %s", e.BaseModelID, undatedClaude)
				}
				if !e.RequiresProfile {
					t.Error("an undated Claude model is served only through inference profiles")
				}
			}
			if e.Family == "" {
				t.Error("no family")
			}
			if e.Released != "" {
				if _, err := time.Parse(time.DateOnly, e.Released); err != nil {
					t.Errorf("released %q: %v", e.Released, err)
				}
			}
			// Callable needs the Converse endpoint and a route from the
			// Region; a model without the route says where it is offered.
			if e.Callable != (e.Endpoint == gateway.EndpointRuntime && e.Offered == "") {
				t.Errorf("callable %v with endpoint %q, offered %q", e.Callable, e.Endpoint, e.Offered)
			}
			if r := e.Rules; r != nil {
				for _, x := range r.Rejects {
					if !slices.Contains(gateway.RuleNames, x) {
						t.Errorf("unknown rule %q", x)
					}
				}
				if r.Reasoning == gateway.ReasoningAdaptive && !slices.Contains(r.Rejects, gateway.RejectThinkingEnabled) &&
					slices.Contains(r.Rejects, gateway.RejectTemperature) {
					t.Error("a model that drops sampling parameters takes only adaptive thinking (thinking_enabled)")
				}
			}
		})
	}
}

// TestRulesFromIssue pins the request rules the sources report, one row per
// model the issue names.
func TestRulesFromIssue(t *testing.T) {
	c := mustLoad(t, Options{})
	sampling := []string{gateway.RejectTemperature, gateway.RejectTopP, gateway.RejectTopK}
	tests := []struct {
		name      string
		id        string
		rejects   []string // must all be present
		notReject []string // must all be absent
		reasoning string
		optIn     bool
	}{
		{"claude-opus-4-7", "anthropic.claude-opus-4-7", append(sampling, gateway.RejectThinkingEnabled, gateway.RejectPrefill), []string{gateway.RejectForcedToolChoice}, gateway.ReasoningAdaptive, false},
		{"claude-opus-4-8", "anthropic.claude-opus-4-8", append(sampling, gateway.RejectThinkingEnabled), nil, gateway.ReasoningAdaptive, false},
		{"claude-opus-5", "anthropic.claude-opus-5", append(sampling, gateway.RejectThinkingEnabled), []string{gateway.RejectReasoningOff}, gateway.ReasoningAdaptive, false},
		{"claude-opus-5-5", "anthropic.claude-opus-5-5", append(sampling, gateway.RejectReasoningOff, gateway.RejectForcedToolChoice), nil, gateway.ReasoningAdaptive, false},
		{"claude-sonnet-5", "anthropic.claude-sonnet-5", sampling, []string{gateway.RejectForcedToolChoice}, gateway.ReasoningAdaptive, false},
		{"claude-sonnet-5-5", "anthropic.claude-sonnet-5-5", append(sampling, gateway.RejectForcedToolChoice, gateway.RejectReasoningOff), nil, gateway.ReasoningAdaptive, false},
		{"claude-haiku-5-5", "anthropic.claude-haiku-5-5", append(sampling, gateway.RejectPrefill), nil, gateway.ReasoningAdaptive, false},
		{"claude-fable-5", "anthropic.claude-fable-5", append(sampling, gateway.RejectReasoningOff), []string{gateway.RejectForcedToolChoice}, gateway.ReasoningAdaptive, true},
		{"claude-fable-5-1", "anthropic.claude-fable-5-1", append(sampling, gateway.RejectForcedToolChoice, gateway.RejectReasoningOff), nil, gateway.ReasoningAdaptive, true},
		{"claude-opus-4-6", "anthropic.claude-opus-4-6-v1", nil, sampling, gateway.ReasoningAdaptive, false},
		{"claude-sonnet-4-5", "anthropic.claude-sonnet-4-5-20250929-v1:0", nil, sampling, gateway.ReasoningBudget, false},
		{"llama-3-3-70b", "meta.llama3-3-70b-instruct-v1:0", []string{gateway.RejectToolsStreaming}, nil, "", false},
		{"llama-4-maverick", "meta.llama4-maverick-17b-instruct-v1:0", []string{gateway.RejectToolsStreaming}, nil, "", false},
		{"deepseek-r1", "deepseek.r1-v1:0", []string{gateway.RejectToolsStreaming}, nil, gateway.ReasoningAlways, false},
		{"mistral-large-2", "mistral.mistral-large-2407-v1:0", []string{gateway.RejectToolsStreaming}, nil, "", false},
		{"pixtral-large", "mistral.pixtral-large-2502-v1:0", []string{gateway.RejectToolsStreaming}, nil, "", false},
		{"gpt-oss-120b", "openai.gpt-oss-120b-1:0", nil, []string{gateway.RejectToolsStreaming}, gateway.ReasoningEffortField, false},
		{"nova-pro", "amazon.nova-pro-v1:0", nil, []string{gateway.RejectToolsStreaming}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c
			if e := entryByName(t, c, tt.name); !e.Callable && len(e.Regions) > 0 {
				c = mustLoad(t, Options{Region: e.Regions[0]}) // an in-Region model, from its Region
			}
			m, err := c.Resolve(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if base := entryByName(t, c, tt.name).BaseModelID; base != tt.id {
				t.Errorf("model_id = %q, want %q", base, tt.id)
			}
			for _, r := range tt.rejects {
				if !m.Rules.Has(r) {
					t.Errorf("rules do not reject %s", r)
				}
			}
			for _, r := range tt.notReject {
				if m.Rules.Has(r) {
					t.Errorf("rules reject %s, which the sources say the model accepts", r)
				}
			}
			if m.Rules.Reasoning != tt.reasoning {
				t.Errorf("reasoning = %q, want %q", m.Rules.Reasoning, tt.reasoning)
			}
			if (m.Rules.OptIn != "") != tt.optIn {
				t.Errorf("opt_in = %q, want one: %v", m.Rules.OptIn, tt.optIn)
			}
		})
	}
}

// TestIssueModels checks that every model the issue lists is in the
// catalog, the mantle-only ones as not callable, and the end-of-life ones
// as such. From us-west-2, which serves each of them (some, such as
// qwen3-235b, are not offered in us-east-1).
func TestIssueModels(t *testing.T) {
	c := mustLoad(t, Options{Region: "us-west-2"})
	for _, name := range []string{
		"claude-opus-4-7", "claude-opus-4-8", "claude-opus-5", "claude-opus-5-5", "claude-sonnet-5",
		"claude-sonnet-5-5", "claude-haiku-5-5", "claude-fable-5", "claude-fable-5-1",
		"mistral-large-3", "devstral-2", "magistral-small", "ministral-3-8b", "deepseek-v3-1", "deepseek-v3-2",
		"qwen3-32b", "qwen3-235b", "qwen3-coder-30b", "qwen3-coder-480b", "qwen3-next-80b", "qwen3-vl-235b", "qwen3-coder-next",
		"kimi-k2-thinking", "kimi-k2-5", "kimi-k3", "minimax-m2", "minimax-m2-1", "minimax-m2-5",
		"glm-4-7", "glm-5", "glm-5-3", "nemotron-nano-12b", "gemma-3-27b", "palmyra-x4", "palmyra-x5",
		"gpt-oss-safeguard-120b", "gpt-oss-safeguard-20b", "gpt-5-6", "gpt-6", "grok-4",
	} {
		if e := entryByName(t, c, name); !e.Callable || e.Status == gateway.StatusEndOfLife {
			t.Errorf("%s: callable %v, status %s; want a callable, live model", name, e.Callable, e.Status)
		}
	}
	for _, name := range []string{"gpt-5-4", "gpt-5-5"} {
		e := entryByName(t, c, name)
		if e.Callable || e.Endpoint != "bedrock-mantle" {
			t.Errorf("%s: callable %v, endpoint %q; want listed as bedrock-mantle only", name, e.Callable, e.Endpoint)
		}
	}
	for _, name := range []string{"nova-premier", "claude-3-haiku", "claude-3-sonnet", "claude-3-5-haiku",
		"llama-3-2-90b", "llama-3-2-11b", "llama-3-2-3b", "llama-3-2-1b"} {
		if e := entryByName(t, c, name); e.Status != gateway.StatusEndOfLife {
			t.Errorf("%s: status %s, want end-of-life", name, e.Status)
		}
	}
	// Claude Code's default model name resolves to an inference profile.
	m, err := c.Resolve("claude-opus-5-5")
	if err != nil || m.ID != "us.anthropic.claude-opus-5-5" {
		t.Errorf("Resolve(claude-opus-5-5) = %q, %v; want us.anthropic.claude-opus-5-5", m.ID, err)
	}
}

// TestNew checks that models released in the last 90 days, by the
// catalog's clock, are marked new.
func TestNew(t *testing.T) {
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := mustLoad(t, Options{Now: func() time.Time { return day }})
	for name, want := range map[string]bool{
		"claude-haiku-5-5":  true,  // 2026-10-07
		"claude-sonnet-5-5": true,  // 2026-09-28
		"claude-fable-5-1":  false, // 2026-09-01: 91 days before
		"claude-opus-5":     false, // 2026-07-24
		"nova-pro":          false,
		"devstral-2":        false, // release date unknown
	} {
		if got := entryByName(t, c, name).New; got != want {
			t.Errorf("%s: new = %v, want %v", name, got, want)
		}
	}
	later := mustLoad(t, Options{Now: func() time.Time { return day.AddDate(0, 6, 0) }})
	if entryByName(t, later, "claude-haiku-5-5").New {
		t.Error("claude-haiku-5-5 is still new six months after its release")
	}
}

// TestRulesValidated checks that a data file's bad rules are refused with
// what to change.
func TestRulesValidated(t *testing.T) {
	path := writeModels(t, `[
  {"name": "acme", "model_id": "acme.a-v1:0", "provider": "acme", "context_window": 8000, "max_tokens": 1000,
   "released": "2026-13-01", "endpoint": "elsewhere",
   "rules": {"rejects": ["temprature"], "reasoning": "loud", "efforts": ["off"]}},
  {"name": "acme-2", "model_id": "acme.b-v1:0", "provider": "acme", "context_window": 8000, "max_tokens": 1000,
   "rules": {"efforts": ["low"]}}
]`)
	_, err := Load(Options{File: path})
	if err == nil {
		t.Fatal("Load accepted bad rules")
	}
	for _, want := range []string{
		`released "2026-13-01" must be a date`,
		`endpoint "elsewhere" must be one of bedrock-runtime, bedrock-mantle`,
		`rules.rejects has "temprature"`,
		`rules.reasoning "loud" must be one of`,
		`rules.efforts has "off"`,
		`model "acme-2": rules.efforts and rules.default_effort need a rules.reasoning`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}
