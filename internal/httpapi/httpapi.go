// Package httpapi holds what the compatible HTTP APIs (OpenAI's, Anthropic's)
// do alike whatever their shape: reading a request body, and telling an
// SDK's retry logic whether and when to try again.
package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// RetryAfter is the Retry-After, in seconds, of a call refused because
// Bedrock is throttling or overloaded.
const RetryAfter = 1

// Decode reads a JSON request body, naming the field of a type mismatch.
// A Held body is read in place (Unmarshal); any other, and any body
// Unmarshal leaves to it, with encoding/json's Decoder.
func Decode(body io.Reader, v any) error {
	if h, ok := body.(Held); ok {
		if b := h.Held(); b != nil && Unmarshal(b, v, false) {
			return nil
		}
	}
	err := json.NewDecoder(body).Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return gateway.Invalid(typeErr.Field, "has the wrong type: got JSON %s", typeErr.Value)
	case errors.Is(err, io.EOF):
		return gateway.Invalid("body", "is empty; send a JSON object")
	}
	return gateway.Invalid("body", "is not a valid JSON object: %v", err)
}

// SetRetryHeaders tells the SDKs' retry logic what to do about err, answered
// with status: wait as long as an admission refusal says (Retry-After), or
// RetryAfter when Bedrock is throttling or overloaded; or not retry at all
// (x-should-retry: false, which the official SDKs obey over their own rule
// for 429 and 5xx) when waiting will not help, as with a budget spent for
// its period.
func SetRetryHeaders(h http.Header, err error, status int) {
	if r := gateway.RefusalOf(err); r != nil {
		if r.RetryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(int(math.Ceil(r.RetryAfter.Seconds()))))
		} else {
			h.Set("X-Should-Retry", "false")
		}
		return
	}
	switch {
	case gateway.KindOf(err) == gateway.KindBudgetExceeded:
		h.Set("X-Should-Retry", "false")
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == 529:
		h.Set("Retry-After", strconv.Itoa(RetryAfter))
	case status >= 500 && !gateway.IsRetryable(err):
		h.Set("X-Should-Retry", "false")
	}
}
