package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/bedrock"
	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// rulesDay is the day the catalog's rules were checked; the tests load the
// catalog as of it.
var rulesDay = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// noRules is the catalog with every model's refusals dropped: a gateway
// over it sends what the real one refuses, so the test can see the
// simulator refuse it too. Reasoning styles stay, so that an effort still
// becomes the model's fields.
type noRules struct{ *catalog.Catalog }

func (c noRules) Resolve(name string) (gateway.Model, error) {
	m, err := c.Catalog.Resolve(name)
	m.Rules.Rejects = nil
	return m, err
}

// ruleCase is one rule broken, and kept, in a request to model.
type ruleCase struct {
	broken, kept func(model string) *gateway.Request
	field        string // what the gateway's refusal names
}

func plainRequest(model string) *gateway.Request {
	return &gateway.Request{Model: model, Messages: []gateway.Message{{Role: gateway.RoleUser, Content: "Say hi"}}, MaxTokens: 200}
}

func with(edit func(r *gateway.Request)) func(string) *gateway.Request {
	return func(model string) *gateway.Request {
		r := plainRequest(model)
		edit(r)
		return r
	}
}

var ruleTool = []gateway.Tool{{Name: "lookup", Description: "Look something up", InputSchema: json.RawMessage(`{"type":"object"}`)}}

var ruleCases = map[string]ruleCase{
	gateway.RejectTemperature: {
		broken: with(func(r *gateway.Request) { t := 0.3; r.Temperature = &t }),
		kept:   with(func(r *gateway.Request) { t := 1.0; r.Temperature = &t }),
		field:  "temperature",
	},
	gateway.RejectTopP: {
		broken: with(func(r *gateway.Request) { p := 0.5; r.TopP = &p }),
		kept:   with(func(r *gateway.Request) { p := 0.995; r.TopP = &p }),
		field:  "top_p",
	},
	gateway.RejectTopK: {
		broken: with(func(r *gateway.Request) { r.AdditionalFields = json.RawMessage(`{"top_k":5}`) }),
		kept:   plainRequest,
		field:  "additional_fields.top_k",
	},
	gateway.RejectPrefill: {
		broken: with(func(r *gateway.Request) {
			r.Messages = append(r.Messages, gateway.Message{Role: gateway.RoleAssistant, Content: "{"})
		}),
		kept: with(func(r *gateway.Request) {
			r.System = "Answer in JSON."
		}),
		field: "messages",
	},
	gateway.RejectForcedToolChoice: {
		broken: with(func(r *gateway.Request) {
			r.Tools, r.ToolChoice = ruleTool, &gateway.ToolChoice{Mode: gateway.ToolChoiceAny}
		}),
		kept: with(func(r *gateway.Request) {
			r.Tools, r.ToolChoice = ruleTool, &gateway.ToolChoice{Mode: gateway.ToolChoiceAuto}
		}),
		field: "tool_choice",
	},
	gateway.RejectToolsStreaming: {
		broken: with(func(r *gateway.Request) { r.Tools, r.Stream = ruleTool, true }),
		kept:   with(func(r *gateway.Request) { r.Tools = ruleTool }),
		field:  "stream",
	},
	gateway.RejectToolCaching: {
		broken: with(func(r *gateway.Request) { r.Tools, r.CacheTools = ruleTool, true }),
		kept:   with(func(r *gateway.Request) { r.Tools, r.System, r.CacheSystem = ruleTool, "Be brief.", true }),
		field:  "prompt_cache.tools",
	},
	gateway.RejectReasoningOff: {
		broken: with(func(r *gateway.Request) { r.Reasoning = gateway.ReasoningOff }),
		kept:   with(func(r *gateway.Request) { r.Reasoning = "low" }),
		field:  "reasoning",
	},
	gateway.RejectThinkingEnabled: {
		broken: with(func(r *gateway.Request) {
			r.MaxTokens = 4000
			r.AdditionalFields = json.RawMessage(`{"thinking":{"type":"enabled","budget_tokens":1024}}`)
		}),
		kept:  with(func(r *gateway.Request) { r.Reasoning = "medium" }),
		field: "additional_fields.thinking",
	},
}

// TestRulesAgree checks, for every catalog model and each of its rules,
// that the gateway refuses the request that breaks the rule before Bedrock
// (the simulator sees no call), that the simulator refuses the same request
// as Bedrock does when a gateway without the rule sends it, and that the
// request keeping the rule passes both.
func TestRulesAgree(t *testing.T) {
	cat, err := catalog.Load(catalog.Options{Region: "us-east-1", Now: func() time.Time { return rulesDay }})
	if err != nil {
		t.Fatal(err)
	}
	sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: testKey, SecretAccessKey: testSecret, Catalog: simModels(cat)})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	provider, err := bedrock.New(t.Context(), bedrock.Options{
		Region: "us-east-1", Endpoint: srv.URL, MaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	strict, err := gateway.New(gateway.Options{Catalog: cat, Provider: provider})
	if err != nil {
		t.Fatal(err)
	}
	lax, err := gateway.New(gateway.Options{Catalog: noRules{cat}, Provider: provider})
	if err != nil {
		t.Fatal(err)
	}

	checked := map[string]int{}
	for _, e := range cat.Models() {
		if e.Rules == nil || !e.Callable || e.Status == gateway.StatusEndOfLife {
			continue
		}
		for _, rule := range e.Rules.Rejects {
			tc, ok := ruleCases[rule]
			if !ok {
				t.Errorf("%s: rule %q has no end-to-end case", e.Name, rule)
				continue
			}
			if (rule == gateway.RejectToolsStreaming || rule == gateway.RejectForcedToolChoice) && !e.SupportsToolUse {
				continue // refused for tools at all (deepseek-r1)
			}
			t.Run(e.Name+"/"+rule, func(t *testing.T) {
				before := sim.Calls()
				_, err := strict.Generate(t.Context(), tc.broken(e.Name))
				var ge *gateway.Error
				if !errors.As(err, &ge) || ge.Kind != gateway.KindInvalidRequest || ge.Field != tc.field {
					t.Fatalf("gateway: Generate() = %v, want an invalid request about %s", err, tc.field)
				}
				if n := sim.Calls() - before; n != 0 {
					t.Errorf("the refused request reached Bedrock (%d calls)", n)
				}

				_, err = lax.Generate(t.Context(), tc.broken(e.Name))
				if !errors.As(err, &ge) || ge.Kind != gateway.KindInvalidRequest || !strings.Contains(ge.Message, "Bedrock") {
					t.Errorf("simulator: the request breaking %s gave %v, want Bedrock's validation error", rule, err)
				}

				resp, err := strict.Generate(t.Context(), tc.kept(e.Name))
				if err != nil {
					t.Fatalf("the request keeping %s: %v", rule, err)
				}
				if resp.ModelID != e.ModelID {
					t.Errorf("answered by %s, want %s", resp.ModelID, e.ModelID)
				}
			})
			checked[rule]++
		}
	}
	for rule := range ruleCases {
		if checked[rule] == 0 {
			t.Errorf("no catalog model has rule %s, so nothing tested it", rule)
		}
	}
}

// TestClaudeCodeDefaultModel checks, through the binary and its built-in
// simulator, that the name Claude Code sends by default works, with a
// reasoning effort, and that a rule of that model is refused with what to
// change.
func TestClaudeCodeDefaultModel(t *testing.T) {
	s, _ := connect(t, gatewayEnv("http://127.0.0.1:1"), "--simulate")
	var r generateResult
	call(t, s, "generate", map[string]any{"model": "claude-opus-5-5", "reasoning": "high", "messages": user("Plan the refactor")}, &r)
	if r.ModelID != "us.anthropic.claude-opus-5-5" || r.Content == "" {
		t.Errorf("claude-opus-5-5 answered %+v, want an answer from us.anthropic.claude-opus-5-5", r)
	}
	if r.EstimatedCostUSD == nil || *r.EstimatedCostUSD <= 0 {
		t.Errorf("cost = %v, want a price", r.EstimatedCostUSD)
	}
	for _, tc := range []struct {
		args map[string]any
		says string
	}{
		{map[string]any{"model": "claude-opus-5-5", "temperature": 0.2, "messages": user("hi")}, "omit temperature"},
		{map[string]any{"model": "claude-opus-5-5", "reasoning": "off", "messages": user("hi")}, "cannot turn reasoning off"},
		{map[string]any{"model": "gpt-5-5", "messages": user("hi")}, "bedrock-mantle"},
	} {
		res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: tc.args})
		if err != nil || !res.IsError || !strings.Contains(text(res), tc.says) {
			t.Errorf("generate(%v) = %v %s, want a tool error saying %q", tc.args, err, text(res), tc.says)
		}
	}
}

// TestStandaloneSimKnowsCatalog runs `llm-gateway bedrock-sim` as a user
// would and checks that it answers like Bedrock for the catalog's models:
// the bare ID of a profile-only model, an unknown model, a rule, and an
// account without Claude Fable's opt-in, which the gateway then explains.
func TestStandaloneSimKnowsCatalog(t *testing.T) {
	cmd := exec.Command(binary, "bedrock-sim", "--addr", "127.0.0.1:0", "--missing-opt-ins")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=" + testKey, "AWS_SECRET_ACCESS_KEY=" + testSecret, "AWS_REGION=us-east-1"}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("bedrock-sim printed no address: %v", err)
	}
	_, url, ok := strings.Cut(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("bedrock-sim said %q", line)
	}

	client, err := bedrock.New(t.Context(), bedrock.Options{
		Region: "us-east-1", Endpoint: url, MaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	one := 0.5
	for _, tc := range []struct {
		call *gateway.Call
		says string
	}{
		{&gateway.Call{ModelID: "anthropic.claude-opus-5-5"}, "on-demand throughput isn’t supported"},
		{&gateway.Call{ModelID: "anthropic.claude-opus-9"}, "The provided model identifier is invalid."},
		{&gateway.Call{ModelID: "us.anthropic.claude-opus-5-5", Temperature: &one}, "`temperature` is deprecated for this model."},
		{&gateway.Call{ModelID: "us.anthropic.claude-fable-5"}, "data retention terms"},
		{&gateway.Call{ModelID: "meta.llama3-2-1b-instruct-v1:0"}, "end of its life"},
	} {
		tc.call.Messages, tc.call.MaxTokens = []gateway.Message{{Role: gateway.RoleUser, Content: "hi"}}, 100
		_, err := client.Converse(t.Context(), tc.call)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Converse(%s) = %v, want Bedrock's %q", tc.call.ModelID, err, tc.says)
		}
	}
	if _, err := client.Converse(t.Context(), &gateway.Call{ModelID: "us.anthropic.claude-opus-5-5", MaxTokens: 100,
		Messages: []gateway.Message{{Role: gateway.RoleUser, Content: "hi"}}}); err != nil {
		t.Errorf("a valid call: %v", err)
	}

	s, _ := connect(t, gatewayEnv(url))
	res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "claude-fable-5", "messages": user("hi")}})
	if err != nil || !res.IsError || !strings.Contains(text(res), "access_denied") || !strings.Contains(text(res), "one-time opt-in") {
		t.Errorf("generate(claude-fable-5) without the opt-in = %v %s, want access denied naming the opt-in", err, text(res))
	}
}

// eventLog keeps the events a gateway records.
type eventLog struct {
	mu     sync.Mutex
	events []gateway.Event
}

func (l *eventLog) Record(_ context.Context, ev gateway.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

func (l *eventLog) last() gateway.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.events[len(l.events)-1]
}

// TestReasoningBilledAsOutput checks that a reasoning effort reaches the
// simulator as the model's own fields, that the reasoning it returns is
// counted in the output tokens, and that the call costs exactly its input
// and output tokens at the model's prices.
func TestReasoningBilledAsOutput(t *testing.T) {
	cat, err := catalog.Load(catalog.Options{Region: "us-east-1", Now: func() time.Time { return rulesDay }})
	if err != nil {
		t.Fatal(err)
	}
	sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: testKey, SecretAccessKey: testSecret, Catalog: simModels(cat)})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	provider, err := bedrock.New(t.Context(), bedrock.Options{
		Region: "us-east-1", Endpoint: srv.URL, MaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	g, err := gateway.New(gateway.Options{Catalog: cat, Provider: provider, Recorders: []gateway.Recorder{log}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ model, effort, sent string }{
		{"claude-sonnet-5-5", "high", `"output_config":{"effort":"high"},"thinking":{"type":"adaptive"}`},
		{"claude-sonnet-4-5", "medium", `"thinking":{"budget_tokens":4096,"type":"enabled"}`},
		{"gpt-oss-120b", "low", `"reasoning_effort":"low"`},
		{"nova-2-lite", "high", `"reasoningConfig":{"maxReasoningEffort":"high","type":"enabled"}`},
	} {
		t.Run(tc.model, func(t *testing.T) {
			m, err := cat.Resolve(tc.model)
			if err != nil || m.Price == nil {
				t.Fatalf("Resolve(%s) = %+v, %v; want a priced model", tc.model, m, err)
			}
			ask := func(effort string) gateway.Event {
				t.Helper()
				r := plainRequest(tc.model)
				r.MaxTokens, r.Reasoning = 8000, effort
				if _, err := g.Generate(t.Context(), r); err != nil {
					t.Fatal(err)
				}
				return log.last()
			}
			plain := ask("")
			reasoned := ask(tc.effort)
			if sent := string(sim.LastRequest(m.ID)); !strings.Contains(sent, tc.sent) {
				t.Errorf("Bedrock received %s, want additionalModelRequestFields with %s", sent, tc.sent)
			}
			// The answer's text is the same; the reasoning adds output tokens.
			if reasoned.Usage.OutputTokens <= plain.Usage.OutputTokens {
				t.Errorf("output tokens with reasoning %d, without %d: reasoning tokens are not counted", reasoned.Usage.OutputTokens, plain.Usage.OutputTokens)
			}
			want := gateway.PicoUSD(reasoned.Usage.InputTokens)*m.Price.Input + gateway.PicoUSD(reasoned.Usage.OutputTokens)*m.Price.Output
			if reasoned.Cost != want {
				t.Errorf("cost = %d pico-USD, want %d: input and output tokens, reasoning included, at the model's prices", reasoned.Cost, want)
			}
		})
	}
}
