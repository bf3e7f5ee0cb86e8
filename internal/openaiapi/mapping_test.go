package openaiapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// checkGolden compares got with the golden file at path; -update rewrites
// the file first.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("differs from %s (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

func indent(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// requestView is a gateway.Request as the golden files show it: every field
// that mapping sets, blocks included.
type requestView struct {
	Model         string
	Messages      []messageView
	Temperature   *float64 `json:",omitempty"`
	TopP          *float64 `json:",omitempty"`
	MaxTokens     int      `json:",omitempty"`
	StopSequences []string `json:",omitempty"`
	Tools         []gateway.Tool
	ToolChoice    *gateway.ToolChoice `json:",omitempty"`
	CacheSystem   bool                `json:",omitempty"`
	CacheTools    bool                `json:",omitempty"`
	Stream        bool                `json:",omitempty"`
	ServiceTier   string              `json:",omitempty"`
}

type messageView struct {
	gateway.Message
	Blocks []gateway.Block `json:"blocks,omitempty"`
}

func viewOf(r *gateway.Request) requestView {
	v := requestView{
		Model: r.Model, Temperature: r.Temperature, TopP: r.TopP, MaxTokens: r.MaxTokens,
		StopSequences: r.StopSequences, Tools: r.Tools, ToolChoice: r.ToolChoice,
		CacheSystem: r.CacheSystem, CacheTools: r.CacheTools, Stream: r.Stream,
		ServiceTier: r.ServiceTier,
	}
	for _, m := range r.Messages {
		v.Messages = append(v.Messages, messageView{Message: m, Blocks: m.Blocks})
	}
	return v
}

// TestRequestGolden maps every request under testdata/requests to the
// gateway request it becomes, or to the error it gets, as OpenAI's API
// would answer it.
func TestRequestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/requests/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no requests under testdata/requests: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var in ChatRequest
			err = httpapi.Decode(bytes.NewReader(body), &in)
			var req *gateway.Request
			if err == nil {
				req, err = toGateway(&in)
			}
			var got any
			if err != nil {
				status, body := errorBody(err)
				got = map[string]any{"status": status, "body": body}
			} else {
				got = viewOf(req)
			}
			if strings.HasPrefix(name, "err-") != (err != nil) {
				t.Errorf("toGateway error = %v; files named err-* and only they must fail", err)
			}
			checkGolden(t, filepath.Join("testdata", "requests", name+".golden"), indent(t, got))
		})
	}
}

func ptr[T any](v T) *T { return &v }

// answers are gateway responses whose OpenAI forms, plain and streamed, are
// kept under testdata/responses.
var answers = []struct {
	name   string
	resp   gateway.Response
	deltas []string
	usage  bool // stream_options.include_usage
}{
	{
		name: "text",
		resp: gateway.Response{
			Content: "Hello there", Model: "nova-lite", ModelID: "us.amazon.nova-lite-v1:0",
			Usage:        gateway.ResponseUsage{InputTokens: 7, OutputTokens: 3, TotalTokens: 10},
			FinishReason: gateway.FinishStop, LatencyMs: 12.5, EstimatedCostUSD: ptr(0.00000114),
		},
		deltas: []string{"Hello", " there"},
	},
	{
		name: "tool-calls",
		resp: gateway.Response{
			ToolCalls: []gateway.ToolCall{
				{ID: "tooluse_1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)},
				{ID: "tooluse_2", Name: "get_time"},
			},
			Model: "nova-pro", ModelID: "us.amazon.nova-pro-v1:0",
			Usage:        gateway.ResponseUsage{InputTokens: 50, OutputTokens: 20, TotalTokens: 70},
			FinishReason: gateway.FinishToolCalls, EstimatedCostUSD: ptr(0.0001),
		},
		usage: true,
	},
	{
		name: "cached-with-prompt-cache",
		resp: gateway.Response{
			Content: "From the cache", Model: "claude-sonnet-4-6", ModelID: "us.anthropic.claude-sonnet-4-6",
			Usage:        gateway.ResponseUsage{InputTokens: 5, OutputTokens: 4, TotalTokens: 1509, CacheReadTokens: 1000, CacheWriteTokens: 500},
			FinishReason: gateway.FinishLength, Cached: true, EstimatedCostUSD: ptr(0.0), SavedCostUSD: ptr(0.0021),
		},
		deltas: []string{"From the cache"},
		usage:  true,
	},
	{
		name: "unpriced-filtered",
		resp: gateway.Response{
			Content: "", Model: "my-model", ModelID: "arn:aws:bedrock:us-east-1:123456789012:custom-model/x",
			Usage:        gateway.ResponseUsage{InputTokens: 1, OutputTokens: 0, TotalTokens: 1},
			FinishReason: gateway.FinishContentFilter,
		},
	},
}

// TestResponseGolden maps gateway answers to OpenAI's completion and to
// its stream of chunks.
func TestResponseGolden(t *testing.T) {
	for _, a := range answers {
		t.Run(a.name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", "responses", a.name+".json"),
				indent(t, completion(&a.resp, "chatcmpl-test", "requested-name", 1700000000)))

			rec := &recorder{header: map[string][]string{}}
			s := newChunkStream(rec, "chatcmpl-test", "requested-name", 1700000000, a.usage)
			for _, d := range a.deltas {
				s.delta(d)
			}
			s.finish(&a.resp)
			checkGolden(t, filepath.Join("testdata", "responses", a.name+".sse"), rec.body.Bytes())
		})
	}
}
