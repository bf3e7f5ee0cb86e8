package openaiapi

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

func newTestAPI(g Generator) *API {
	a := New(Options{
		Generator: g,
		Models: func() []catalog.Entry {
			return []catalog.Entry{{Name: "nova-lite", ModelID: "us.amazon.nova-lite-v1:0", Provider: "amazon"}}
		},
		Agent: func(*http.Request) string { return "agent-a" },
	})
	a.newID = func() string { return "ID" }
	return a
}

// TestChatCompletionsHTTP checks the status codes, headers and error shapes
// SDKs act on.
func TestChatCompletionsHTTP(t *testing.T) {
	ok := &gateway.Response{Content: "hi", Model: "nova-lite", ModelID: "us.amazon.nova-lite-v1:0", FinishReason: "stop", EstimatedCostUSD: ptr(0.5)}
	tests := []struct {
		name       string
		gen        *fakeGenerator
		body       string
		wantStatus int
		wantHeader map[string]string
		wantBody   string // a substring
	}{
		{"answer", &fakeGenerator{resp: ok}, `{"model":"nova-lite","messages":[{"role":"user","content":"x"}]}`, 200,
			map[string]string{HeaderCost: "0.5", HeaderCache: "miss", HeaderModel: "nova-lite", "X-Request-Id": "chatcmpl-ID"}, `"content":"hi"`},
		{"cached unpriced", &fakeGenerator{resp: &gateway.Response{Content: "hi", Model: "m", Cached: true}}, `{"model":"m","messages":[{"role":"user","content":"x"}]}`, 200,
			map[string]string{HeaderCost: "unknown", HeaderCache: "hit"}, `"cost_usd":null`},
		{"invalid", &fakeGenerator{err: gateway.Invalid("temperature", "too hot")}, `{"model":"nova-lite","messages":[{"role":"user","content":"x"}]}`, 400,
			nil, `{"error":{"message":"temperature: too hot","type":"invalid_request_error","param":"temperature","code":"invalid_request"}}`},
		{"bad json", &fakeGenerator{}, `{"model":`, 400, nil, `"param":"body"`},
		{"unknown model", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindUnknownModel, Message: "no such model"}}, `{"model":"x","messages":[]}`, 404,
			nil, `"code":"model_not_found"`},
		{"throttled", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindThrottled, Retryable: true, Message: "slow down"}}, `{"model":"x","messages":[]}`, 429,
			map[string]string{"Retry-After": "1"}, `"type":"rate_limit_error"`},
		{"budget", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindBudgetExceeded, Message: "spent"}}, `{"model":"x","messages":[]}`, 429,
			map[string]string{"X-Should-Retry": "false", "Retry-After": ""}, `"type":"insufficient_quota"`},
		{"rate limited", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindRateLimited, Retryable: true, Message: "wait"}}, `{"model":"x","messages":[]}`, 429,
			map[string]string{"Retry-After": "1"}, `"code":"rate_limited"`},
		{"rate limited with figures", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindRateLimited, Retryable: true, Refusal: &gateway.Refusal{RetryAfter: 12500 * time.Millisecond}}}, `{"model":"x","messages":[]}`, 429,
			map[string]string{"Retry-After": "13"}, `"rate_limit_error"`},
		{"not allowed", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindModelNotAllowed, Message: "no"}}, `{"model":"x","messages":[]}`, 403, nil, `"code":"model_not_allowed"`},
		{"access denied", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindAccessDenied, Message: "no"}}, `{"model":"x","messages":[]}`, 403, nil, `"permission_error"`},
		{"model error not retried", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindModelError, Message: "bad"}}, `{"model":"x","messages":[]}`, 502,
			map[string]string{"X-Should-Retry": "false"}, `"code":"model_error"`},
		{"internal hidden", &fakeGenerator{err: context.DeadlineExceeded}, `{"model":"x","messages":[]}`, 504, nil, `"code":"timeout"`},
		{"stream fails before text", &fakeGenerator{err: &gateway.Error{Kind: gateway.KindUnavailable, Retryable: true, Message: "down"}}, `{"model":"x","stream":true,"messages":[]}`, 503,
			map[string]string{"Retry-After": "1", "Content-Type": "application/json"}, `"code":"unavailable"`},
		{"stream fails after text", &fakeGenerator{deltas: []string{"par"}, err: &gateway.Error{Kind: gateway.KindModelError, Message: "broke"}}, `{"model":"x","stream":true,"messages":[]}`, 200,
			map[string]string{"Content-Type": "text/event-stream"}, "data: {\"error\":{\"message\":\"broke\",\"type\":\"api_error\",\"param\":null,\"code\":\"model_error\"}}\n\ndata: [DONE]\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(tt.gen)
			rec := httptest.NewRecorder()
			a.ChatCompletions(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(tt.body)))
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
			if g := tt.gen.got; g != nil && (g.Agent != "agent-a" || g.Frontend != "openai" || g.RequestID != "chatcmpl-ID") {
				t.Errorf("request agent, frontend, ID = %q, %q, %q; want agent-a, openai, chatcmpl-ID", g.Agent, g.Frontend, g.RequestID)
			}
		})
	}
}

func TestModels(t *testing.T) {
	a := newTestAPI(&fakeGenerator{})
	rec := httptest.NewRecorder()
	a.ListModels(rec, httptest.NewRequest(http.MethodGet, "/v1/models", nil))
	if want := `{"object":"list","data":[{"id":"nova-lite","object":"model","created":0,"owned_by":"amazon"`; !strings.HasPrefix(rec.Body.String(), want) {
		t.Errorf("GET /v1/models = %s, want it to begin %s", rec.Body, want)
	}
	for path, want := range map[string]int{"/v1/models/nova-lite": 200, "/v1/models/us.amazon.nova-lite-v1:0": 200, "/v1/models/gpt-4": 404} {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /v1/models/{model}", a.GetModel)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
}
