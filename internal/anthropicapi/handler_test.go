package anthropicapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// fakeGenerator answers as told: it streams deltas, then returns resp or
// err. It keeps the last request.
type fakeGenerator struct {
	deltas []string
	resp   *gateway.Response
	err    error
	got    *gateway.Request
}

func (f *fakeGenerator) Generate(_ context.Context, req *gateway.Request) (*gateway.Response, error) {
	f.got = req
	for _, d := range f.deltas {
		if req.OnDelta != nil {
			req.OnDelta(d)
		}
	}
	return f.resp, f.err
}

func newTestAPI(t testing.TB, g Generator) *API {
	cat, err := catalog.Load(catalog.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	a := New(Options{Generator: g, Catalog: cat, Models: cat.Models, Agent: func(*http.Request) string { return "agent-a" }})
	a.newID = func() string { return "ID" }
	return a
}

// TestMessagesHTTP checks the status codes, headers and error shapes SDKs
// and Claude Code act on.
func TestMessagesHTTP(t *testing.T) {
	ok := &gateway.Response{Content: "hi", Model: "claude-haiku-4-5", FinishReason: "stop", EstimatedCostUSD: ptr(0.25)}
	const body = `{"model":"claude-haiku-4-5-20251001","max_tokens":10,"messages":[{"role":"user","content":"x"}]}`
	const stream = `{"model":"claude-haiku-4-5-20251001","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"x"}]}`
	tests := []struct {
		name       string
		gen        *fakeGenerator
		body       string
		wantStatus int
		wantHeader map[string]string
		wantBody   string // a substring
	}{
		{"answer", &fakeGenerator{resp: ok}, body, 200,
			map[string]string{HeaderCost: "0.25", HeaderCache: "miss", "Request-Id": "msg_ID"}, `"model":"claude-haiku-4-5-20251001","content":[{"type":"text","text":"hi"}]`},
		{"invalid", &fakeGenerator{err: gateway.Invalid("temperature", "too hot")}, body, 400, nil,
			`{"type":"error","error":{"type":"invalid_request_error","message":"[invalid_request] temperature: too hot"},"request_id":"msg_ID"}`},
		{"bad json", &fakeGenerator{}, `{"model":`, 400, nil, `"invalid_request_error"`},
		{"unknown model", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindUnknownModel, Message: "no"}}, body, 404, nil, `"not_found_error"`},
		{"throttled", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindThrottled, Retryable: true}}, body, 429, map[string]string{"Retry-After": "1"}, `"rate_limit_error"`},
		{"budget", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindBudgetExceeded}}, body, 429, map[string]string{"X-Should-Retry": "false", "Retry-After": ""}, `[budget_exceeded]`},
		{"budget resets", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindBudgetExceeded, Refusal: &gateway.Refusal{RetryAfter: time.Hour}}}, body, 429, map[string]string{"Retry-After": "3600", "X-Should-Retry": ""}, `[budget_exceeded]`},
		{"overloaded", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindUnavailable, Retryable: true}}, body, 529, map[string]string{"Retry-After": "1"}, `"overloaded_error"`},
		{"denied", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindModelNotAllowed}}, body, 403, nil, `"permission_error"`},
		{"stream fails before text", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindTimeout, Retryable: true}}, stream, 504, map[string]string{"Content-Type": "application/json"}, `"timeout_error"`},
		{"stream fails after text", &fakeGenerator{deltas: []string{"par"}, err: &gateway.Error{Kind: gateway.KindModelError, Message: "broke"}}, stream, 200,
			map[string]string{"Content-Type": "text/event-stream"}, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"[model_error] broke\"},\"request_id\":\"msg_ID\"}\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t, tt.gen)
			rec := httptest.NewRecorder()
			a.Messages(rec, httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(tt.body)))
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			for k, v := range tt.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body = %s, want it to hold %s", rec.Body, tt.wantBody)
			}
			if g := tt.gen.got; g != nil && (g.Agent != "agent-a" || g.Frontend != "anthropic" || g.RequestID != "msg_ID" || g.Model != "claude-haiku-4-5") {
				t.Errorf("request agent, frontend, ID, model = %q, %q, %q, %q; want agent-a, anthropic, msg_ID, claude-haiku-4-5", g.Agent, g.Frontend, g.RequestID, g.Model)
			}
		})
	}
}

func TestCountTokens(t *testing.T) {
	a := newTestAPI(t, &fakeGenerator{})
	for body, want := range map[string]string{
		`{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"12345678"}]}`: `{"input_tokens":2}`,
		`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`:                   `"not_found_error"`,
	} {
		rec := httptest.NewRecorder()
		a.CountTokens(rec, httptest.NewRequest(http.MethodPost, "/v1/messages/count_tokens", strings.NewReader(body)))
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("count_tokens %s = %s, want it to hold %s", body, rec.Body, want)
		}
	}
}
