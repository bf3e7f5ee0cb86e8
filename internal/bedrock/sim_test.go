package bedrock

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// The tests in this file and in faults_test.go drive the real SDK client
// against the Bedrock Runtime simulator over HTTP on 127.0.0.1.

const (
	simKeyID  = "AKIDSIM"
	simSecret = "secret"
	simRegion = "us-east-1"
	novaPro   = "us.amazon.nova-pro-v1:0"
)

// startSim serves a simulator that accepts the test credentials. handler,
// if not nil, wraps it (to observe requests).
func startSim(t *testing.T, wrap func(http.Handler) http.Handler) (*bedrocksim.Server, *httptest.Server) {
	t.Helper()
	sim := bedrocksim.New(bedrocksim.Options{
		AccessKeyID: simKeyID, SecretAccessKey: simSecret, Region: simRegion,
		Logger: testLogger(t),
	})
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return sim, srv
}

// newTestClient returns a client of srv with the test credentials and a
// backoff so small that retries cost no real waiting.
func newTestClient(t *testing.T, srv *httptest.Server, maxAttempts int) *Client {
	t.Helper()
	c, err := New(t.Context(), Options{
		Endpoint:    srv.URL,
		Region:      simRegion,
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, ""),
		MaxAttempts: maxAttempts,
		MaxBackoff:  time.Microsecond,
		HTTPClient:  srv.Client(),
		Logger:      testLogger(t),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// mode is one way of calling the provider; most tests run both.
type mode struct {
	name string
	call func(ctx context.Context, c *Client, call *gateway.Call) (*gateway.Completion, []string, error)
}

var modes = []mode{
	{"converse", func(ctx context.Context, c *Client, call *gateway.Call) (*gateway.Completion, []string, error) {
		comp, err := c.Converse(ctx, call)
		return comp, nil, err
	}},
	{"stream", func(ctx context.Context, c *Client, call *gateway.Call) (*gateway.Completion, []string, error) {
		var deltas []string
		comp, err := c.ConverseStream(ctx, call, func(s string) { deltas = append(deltas, s) })
		return comp, deltas, err
	}},
}

func ask(text string) *gateway.Call {
	return &gateway.Call{ModelID: novaPro, SupportsSystem: true, Messages: []gateway.Message{user(text)}}
}

func TestSimTextAnswer(t *testing.T) {
	_, srv := startSim(t, nil)
	c := newTestClient(t, srv, 1)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			comp, deltas, err := m.call(t.Context(), c, ask("Greet me [sim:reply=Hello there, friend]"))
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			want := &gateway.Completion{
				Content:      "Hello there, friend",
				FinishReason: gateway.FinishStop,
				// The simulator counts a token per four characters:
				// the 40 characters of the prompt (markers included) and the
				// 19 of the answer.
				Usage: gateway.Usage{InputTokens: 10, OutputTokens: 5},
			}
			if diff := cmp.Diff(want, comp, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Latency" }, cmp.Ignore())); diff != "" {
				t.Errorf("completion (-want +got):\n%s", diff)
			}
			if m.name == "stream" && strings.Join(deltas, "") != comp.Content {
				t.Errorf("deltas %q do not concatenate to the content %q", deltas, comp.Content)
			}
		})
	}
}

func TestSimStreamMatchesConverse(t *testing.T) {
	_, srv := startSim(t, nil)
	c := newTestClient(t, srv, 1)
	// A filler answer of many words, which the simulator streams a word at
	// a time; its text depends only on the request, so both APIs agree.
	call := ask("Tell me a long story about the sea")
	want, err := c.Converse(t.Context(), call)
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	var deltas []string
	got, err := c.ConverseStream(t.Context(), call, func(s string) { deltas = append(deltas, s) })
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	if len(deltas) < 2 {
		t.Errorf("ConverseStream gave %d deltas, want several", len(deltas))
	}
	if joined := strings.Join(deltas, ""); joined != got.Content {
		t.Errorf("deltas concatenate to %q, want the content %q", joined, got.Content)
	}
	ignoreLatency := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Latency" }, cmp.Ignore())
	if diff := cmp.Diff(want, got, ignoreLatency); diff != "" {
		t.Errorf("ConverseStream differs from Converse (-converse +stream):\n%s", diff)
	}
	// A nil onDelta is allowed.
	if _, err := c.ConverseStream(t.Context(), call, nil); err != nil {
		t.Errorf("ConverseStream with nil onDelta: %v", err)
	}
}

// echoed is what [sim:echo] answers: the request's system, messages and
// inferenceConfig as they reached the wire.
type echoed struct {
	System []struct {
		Text string `json:"text"`
	} `json:"system"`
	Messages []struct {
		Role    string `json:"role"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"messages"`
	InferenceConfig *struct {
		MaxTokens     *int     `json:"maxTokens"`
		Temperature   *float64 `json:"temperature"`
		TopP          *float64 `json:"topP"`
		StopSequences []string `json:"stopSequences"`
	} `json:"inferenceConfig"`
}

func (e echoed) turns() []wireTurn {
	var out []wireTurn
	for _, m := range e.Messages {
		var texts []string
		for _, c := range m.Content {
			texts = append(texts, c.Text)
		}
		out = append(out, wireTurn{m.Role, strings.Join(texts, "|")})
	}
	return out
}

func (e echoed) system() []string {
	var out []string
	for _, s := range e.System {
		out = append(out, s.Text)
	}
	return out
}

func TestSimWire(t *testing.T) {
	sim, srv := startSim(t, nil)
	c := newTestClient(t, srv, 1)
	tests := []struct {
		name       string
		call       gateway.Call
		wantSystem []string
		wantTurns  []wireTurn
		wantConfig string // the inferenceConfig as JSON, or "" for none
	}{
		{
			name: "system blocks",
			call: gateway.Call{SupportsSystem: true, System: []string{"Be terse.", "Answer in French."},
				Messages: []gateway.Message{user("Hi [sim:echo]")}},
			wantSystem: []string{"Be terse.", "Answer in French."},
			wantTurns:  []wireTurn{{"user", "Hi [sim:echo]"}},
		},
		{
			name: "folded system",
			call: gateway.Call{System: []string{"Be terse.", "Answer in French."},
				Messages: []gateway.Message{user("Hi"), assistant("Salut"), user("Why? [sim:echo]")}},
			wantTurns: []wireTurn{{"user", "Be terse.\n\nAnswer in French.\n\nHi"}, {"assistant", "Salut"}, {"user", "Why? [sim:echo]"}},
		},
		{
			name: "merged turns",
			call: gateway.Call{SupportsSystem: true, Messages: []gateway.Message{
				user("one"), user("two"), assistant("three"), assistant("four"), user("five"), user("[sim:echo]"),
			}},
			wantTurns: []wireTurn{{"user", "one\n\ntwo"}, {"assistant", "three\n\nfour"}, {"user", "five\n\n[sim:echo]"}},
		},
		{
			name: "inference config",
			call: gateway.Call{SupportsSystem: true, Messages: []gateway.Message{user("[sim:echo]")},
				Temperature: ptr(0.25), TopP: ptr(0.5), MaxTokens: 77, StopSequences: []string{"END"}},
			wantTurns:  []wireTurn{{"user", "[sim:echo]"}},
			wantConfig: `{"maxTokens":77,"temperature":0.25,"topP":0.5,"stopSequences":["END"]}`,
		},
		{
			name: "zero temperature sent",
			call: gateway.Call{SupportsSystem: true, Messages: []gateway.Message{user("[sim:echo]")},
				Temperature: ptr(0.0)},
			wantTurns:  []wireTurn{{"user", "[sim:echo]"}},
			wantConfig: `{"maxTokens":null,"temperature":0,"topP":null,"stopSequences":null}`,
		},
	}
	for _, tc := range tests {
		for _, m := range modes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				tc.call.ModelID = novaPro
				comp, _, err := m.call(t.Context(), c, &tc.call)
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				var got echoed
				if err := json.Unmarshal([]byte(comp.Content), &got); err != nil {
					t.Fatalf("echo answer %q: %v", comp.Content, err)
				}
				if diff := cmp.Diff(tc.wantSystem, got.system()); diff != "" {
					t.Errorf("system on the wire (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.wantTurns, got.turns()); diff != "" {
					t.Errorf("messages on the wire (-want +got):\n%s", diff)
				}
				gotConfig := ""
				if got.InferenceConfig != nil {
					b, _ := json.Marshal(got.InferenceConfig)
					gotConfig = string(b)
				}
				if gotConfig != tc.wantConfig {
					t.Errorf("inferenceConfig on the wire = %s, want %s", gotConfig, tc.wantConfig)
				}
				// The simulator keeps the raw body too: the echo is of that.
				if raw := sim.LastRequest(novaPro); !json.Valid(raw) {
					t.Errorf("LastRequest(%q) = %q, want the JSON body", novaPro, raw)
				}
			})
		}
	}
}

func TestSimStopReasons(t *testing.T) {
	_, srv := startSim(t, nil)
	c := newTestClient(t, srv, 1)
	tests := []struct {
		name        string
		call        *gateway.Call
		want        string
		wantContent string // if not empty
	}{
		{"end turn", ask("[sim:reply=done]"), gateway.FinishStop, "done"},
		{"max tokens", &gateway.Call{ModelID: novaPro, SupportsSystem: true,
			Messages: []gateway.Message{user("Write an essay")}, MaxTokens: 3}, gateway.FinishLength, ""},
		{"stop sequence", &gateway.Call{ModelID: novaPro, SupportsSystem: true,
			Messages:      []gateway.Message{user("[sim:reply=alpha beta STOP gamma]")},
			StopSequences: []string{"STOP"}}, gateway.FinishStop, "alpha beta "},
		{"guardrail", ask("Something bad [sim:guardrail]"), gateway.FinishContentFilter, ""},
		{"content filtered", ask("[sim:guardrail=content_filtered]"), gateway.FinishContentFilter, ""},
		{"tool use", ask("[sim:guardrail=tool_use]"), gateway.FinishToolCalls, ""},
		{"unmapped reason", ask("[sim:guardrail=malformed_model_output]"), gateway.FinishStop, ""},
	}
	for _, tc := range tests {
		for _, m := range modes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				comp, _, err := m.call(t.Context(), c, tc.call)
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				if comp.FinishReason != tc.want {
					t.Errorf("finish reason = %q, want %q", comp.FinishReason, tc.want)
				}
				if tc.wantContent != "" && comp.Content != tc.wantContent {
					t.Errorf("content = %q, want %q", comp.Content, tc.wantContent)
				}
				if tc.call.MaxTokens > 0 && comp.Usage.OutputTokens > tc.call.MaxTokens {
					t.Errorf("output tokens = %d, want at most %d", comp.Usage.OutputTokens, tc.call.MaxTokens)
				}
			})
		}
	}
}
