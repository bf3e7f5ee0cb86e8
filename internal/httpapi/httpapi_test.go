package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestSetRetryHeaders(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter string
		noRetry    bool
	}{
		{"rate limit refusal waits as it says", &gateway.Error{Kind: gateway.KindRateLimited, Refusal: &gateway.Refusal{RetryAfter: 1500 * time.Millisecond}}, 429, "2", false},
		{"refusal that waiting will not help", &gateway.Error{Kind: gateway.KindModelNotAllowed, Refusal: &gateway.Refusal{}}, 403, "", true},
		{"budget spent", &gateway.Error{Kind: gateway.KindBudgetExceeded}, 429, "", true},
		{"throttled", &gateway.Error{Kind: gateway.KindThrottled, Retryable: true}, 429, "1", false},
		{"overloaded", &gateway.Error{Kind: gateway.KindUnavailable, Retryable: true}, 529, "1", false},
		{"upstream failure not worth retrying", &gateway.Error{Kind: gateway.KindModelError}, 502, "", true},
		{"retryable upstream failure", &gateway.Error{Kind: gateway.KindTimeout, Retryable: true}, 504, "", false},
		{"the caller's mistake", gateway.Invalid("model", "unknown"), 400, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			SetRetryHeaders(h, tt.err, tt.status)
			if got := h.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if got := h.Get("X-Should-Retry") == "false"; got != tt.noRetry {
				t.Errorf("x-should-retry false = %v, want %v", got, tt.noRetry)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	var v struct {
		Model string `json:"model"`
	}
	tests := []struct{ body, field, text string }{
		{`{"model": 5}`, "model", "wrong type"},
		{``, "body", "empty"},
		{`{"model":`, "body", "not a valid JSON object"},
	}
	for _, tt := range tests {
		err := Decode(strings.NewReader(tt.body), &v)
		var e *gateway.Error
		if !errors.As(err, &e) || e.Field != tt.field || !strings.Contains(e.Error(), tt.text) {
			t.Errorf("Decode(%q) = %v, want an invalid %s naming %q", tt.body, err, tt.field, tt.text)
		}
	}
	if err := Decode(strings.NewReader(`{"model":"nova-lite"}`), &v); err != nil || v.Model != "nova-lite" {
		t.Errorf("Decode of a good body = %v, %+v", err, v)
	}
}
