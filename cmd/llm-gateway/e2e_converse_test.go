package main

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// everyTransport opens one session per transport on gateways pointed at the
// simulator at url: stdio, Streamable HTTP and the legacy SSE transport.
// opts, if not nil, gives each transport's client options.
func everyTransport(t *testing.T, url string, opts func(transport string) *mcp.ClientOptions) map[string]*mcp.ClientSession {
	t.Helper()
	if opts == nil {
		opts = func(string) *mcp.ClientOptions { return nil }
	}
	stdio, _ := connectWith(t, opts("stdio"), gatewayEnv(url))
	keyEnv, keys := agentKeys(1)
	g := startHTTPGateway(t, gatewayEnv(url, keyEnv))
	key := keys["agent-00"]
	out := map[string]*mcp.ClientSession{
		"stdio": stdio,
		"http":  httpSessionWith(t, opts("http"), g, key, false),
		"sse":   httpSessionWith(t, opts("sse"), g, key, true),
	}
	return out
}

func TestImageReachesBedrockAsTheSameBytes(t *testing.T) {
	_, url := startSim(t)
	img := []byte("\x89PNG\r\n\x1a\n not really a picture, but bytes all the same \x00\x01\x02\xff")
	sum := sha256.Sum256(img)
	want := fmt.Sprintf("image png %d bytes sha256=%x", len(img), sum)
	for name, s := range everyTransport(t, url, nil) {
		t.Run(name, func(t *testing.T) {
			var r generateResult
			call(t, s, "generate", map[string]any{"model": "nova-lite", "cache": false, "messages": []map[string]any{{"role": "user", "content": []map[string]any{
				{"type": "text", "text": "What is in this picture? [sim:describe]"},
				{"type": "image", "format": "png", "data": base64.StdEncoding.EncodeToString(img)},
			}}}}, &r)
			if !strings.Contains(r.Content, want) {
				t.Errorf("Bedrock saw %q, want %q", r.Content, want)
			}
			res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{"model": "nova-micro", "messages": []map[string]any{{"role": "user", "content": []map[string]any{
				{"type": "text", "text": "and this?"},
				{"type": "image", "format": "png", "data": base64.StdEncoding.EncodeToString(img)},
			}}}}})
			if err != nil || !res.IsError || !strings.Contains(text(res), "does not accept images") {
				t.Errorf("an image to a text-only model = %v %s, want a clear refusal", err, text(res))
			}
		})
	}
}

func TestToolCallingLoop(t *testing.T) {
	_, url := startSim(t)
	tools := []map[string]any{{
		"name": "get_weather", "description": "Current weather in a city",
		"input_schema": map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
	}}
	for name, s := range everyTransport(t, url, nil) {
		t.Run(name, func(t *testing.T) {
			question := map[string]any{"role": "user", "content": `Weather in Paris? [sim:tool=get_weather:{"city":"Paris"}]`}
			var first struct {
				generateResult
				ToolCalls []struct {
					ID        string         `json:"id"`
					Name      string         `json:"name"`
					Arguments map[string]any `json:"arguments"`
				} `json:"tool_calls"`
			}
			call(t, s, "generate", map[string]any{"model": "claude-haiku-4-5", "tools": tools, "messages": []any{question}}, &first)
			if first.FinishReason != "tool_calls" || len(first.ToolCalls) != 1 || first.ToolCalls[0].Name != "get_weather" || first.ToolCalls[0].Arguments["city"] != "Paris" {
				t.Fatalf("first step = %+v, want a get_weather call for Paris", first)
			}
			tc := first.ToolCalls[0]
			var second generateResult
			call(t, s, "generate", map[string]any{"model": "claude-haiku-4-5", "tools": tools, "messages": []any{
				question,
				map[string]any{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{"id": tc.ID, "name": tc.Name, "arguments": tc.Arguments}}},
				map[string]any{"role": "tool", "tool_call_id": tc.ID, "content": "18 degrees and sunny"},
			}}, &second)
			if second.FinishReason != "stop" || !strings.Contains(second.Content, "18 degrees and sunny") {
				t.Errorf("second step = %+v, want an answer using the tool's result", second)
			}
		})
	}
}

func TestToolCallsStreamed(t *testing.T) {
	_, url := startSim(t)
	progress := newProgressLog()
	s, _ := connectWith(t, progress.options(), gatewayEnv(url))
	params := &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{
		"model": "claude-haiku-4-5", "stream": true, "tool_choice": map[string]any{"name": "lookup"},
		"tools":    []map[string]any{{"name": "lookup", "input_schema": map[string]any{"type": "object", "properties": map[string]any{"q": map[string]any{"type": "string"}, "n": map[string]any{"type": "integer"}}}}},
		"messages": user("find it"),
	}}
	params.SetProgressToken("t")
	res, err := s.CallTool(t.Context(), params)
	if err != nil || res.IsError {
		t.Fatalf("%v %s", err, text(res))
	}
	var r struct {
		FinishReason string `json:"finish_reason"`
		ToolCalls    []struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		} `json:"tool_calls"`
	}
	decode(t, res, &r)
	if r.FinishReason != "tool_calls" || len(r.ToolCalls) != 1 || r.ToolCalls[0].Arguments["q"] != "sim" || r.ToolCalls[0].Arguments["n"] != 1.0 {
		t.Errorf("streamed tool call = %+v, want lookup{q: sim, n: 1} assembled from its deltas", r)
	}
}

func TestPromptCacheTokensArePriced(t *testing.T) {
	_, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url))
	args := func(q string) map[string]any {
		return map[string]any{
			"model": "claude-haiku-4-5", "cache": false, "prompt_cache": map[string]any{"system": true},
			"system":   strings.Repeat("You are a careful assistant who knows the whole manual. ", 40),
			"messages": user(q),
		}
	}
	type usage struct {
		Input      int `json:"input_tokens"`
		Output     int `json:"output_tokens"`
		Total      int `json:"total_tokens"`
		CacheRead  int `json:"cache_read_input_tokens"`
		CacheWrite int `json:"cache_write_input_tokens"`
	}
	var first, second struct {
		Usage usage    `json:"usage"`
		Cost  *float64 `json:"estimated_cost_usd"`
	}
	call(t, s, "generate", args("first question"), &first)
	call(t, s, "generate", args("second question"), &second)
	if first.Usage.CacheWrite == 0 || first.Usage.CacheRead != 0 || second.Usage.CacheRead != first.Usage.CacheWrite || second.Usage.CacheWrite != 0 {
		t.Fatalf("usages %+v then %+v, want the system prompt written to the cache, then read from it", first.Usage, second.Usage)
	}
	// claude-haiku-4-5 in us-east-1: $0.0011 input, $0.0055 output,
	// $0.00011 cache read, $0.001375 cache write, per 1K tokens.
	price := func(u usage) float64 {
		return (float64(u.Input)*0.0011 + float64(u.Output)*0.0055 + float64(u.CacheRead)*0.00011 + float64(u.CacheWrite)*0.001375) / 1000
	}
	for i, r := range []struct {
		Usage usage    `json:"usage"`
		Cost  *float64 `json:"estimated_cost_usd"`
	}{first, second} {
		if r.Cost == nil || math.Abs(*r.Cost-price(r.Usage)) > 1e-12 {
			t.Errorf("call %d cost = %v, want %v for %+v", i+1, r.Cost, price(r.Usage), r.Usage)
		}
		if r.Usage.Total != r.Usage.Input+r.Usage.Output+r.Usage.CacheRead+r.Usage.CacheWrite {
			t.Errorf("call %d total_tokens = %d, want every token counted: %+v", i+1, r.Usage.Total, r.Usage)
		}
	}
}

func TestGuardrailInterventionIsContentFilter(t *testing.T) {
	_, url := startSim(t)
	s, _ := connect(t, gatewayEnv(url, "GUARDRAIL_ID=gr1abc", "GUARDRAIL_VERSION=1"))
	var r generateResult
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("something forbidden [sim:guardrail]")}, &r)
	if r.FinishReason != "content_filter" {
		t.Errorf("finish_reason = %q, want content_filter", r.FinishReason)
	}
	var echo generateResult
	call(t, s, "generate", map[string]any{"model": "nova-lite", "messages": user("[sim:echo]")}, &echo)
	if !strings.Contains(echo.Content, `"guardrailIdentifier":"gr1abc"`) {
		t.Errorf("the configured guardrail did not reach Bedrock: %s", echo.Content)
	}
}

func TestStreamingOverEveryTransport(t *testing.T) {
	_, url := startSim(t)
	logs := map[string]*progressLog{}
	sessions := everyTransport(t, url, func(name string) *mcp.ClientOptions {
		logs[name] = newProgressLog()
		return logs[name].options()
	})
	for name, s := range sessions {
		t.Run(name, func(t *testing.T) {
			params := &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{
				"model": "nova-pro", "stream": true, "messages": user("Stream to " + name),
			}}
			params.SetProgressToken(name)
			res, err := s.CallTool(t.Context(), params)
			if err != nil || res.IsError {
				t.Fatalf("%v %s", err, text(res))
			}
			var r generateResult
			decode(t, res, &r)
			logs[name].waitFor(t, r.Content)
			if _, n := logs[name].joined(); n < 2 {
				t.Errorf("%d progress messages, want the answer in several pieces", n)
			}
		})
	}
}
