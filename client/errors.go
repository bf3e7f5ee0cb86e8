package client

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ErrorKind classifies a failed call, as the gateway reports it.
type ErrorKind string

// The kinds of failure the gateway reports. A gateway may add kinds; an
// unknown one is passed through as it came.
const (
	KindInvalidRequest ErrorKind = "invalid_request" // the request must change
	KindUnknownModel   ErrorKind = "unknown_model"   // no such model in the catalog
	KindModelNotFound  ErrorKind = "model_not_found" // Bedrock does not know the model, or it is not enabled
	KindEndOfLife      ErrorKind = "model_end_of_life"
	KindAccessDenied   ErrorKind = "access_denied"
	KindThrottled      ErrorKind = "throttled"
	KindTimeout        ErrorKind = "timeout"
	KindUnavailable    ErrorKind = "unavailable"
	KindModelError     ErrorKind = "model_error"
	KindCanceled       ErrorKind = "canceled"
	KindInternal       ErrorKind = "internal"

	// Refusals by the gateway's policy (POLICY_FILE): the call never
	// reached Bedrock. Error.Limit says which limit and its figures.
	KindModelNotAllowed ErrorKind = "model_not_allowed" // not on this agent's allow-list
	KindRateLimited     ErrorKind = "rate_limited"      // wait Limit.RetryAfter, then retry
	KindBudgetExceeded  ErrorKind = "budget_exceeded"   // ask for fewer max_tokens or a cheaper model, or wait for Limit.ResetsAt

	// KindUnknown is given to a tool error that names no kind: a server
	// that is not llm-gateway, or a tool the gateway does not have.
	KindUnknown ErrorKind = "unknown"
)

// Error is a tool call the gateway refused or could not complete. Use
// errors.As to reach it through the wrapping that Generate and the other
// methods add.
type Error struct {
	Kind ErrorKind
	// Retryable is true when the same call may succeed later (throttling,
	// a timeout, Bedrock unavailable).
	Retryable bool
	// Message is the gateway's text without the "[kind] " prefix; it says
	// what to change, e.g. "temperature: 1.5 is outside nova-lite's range 0 to 1".
	Message string
	// Limit is the limit behind a policy refusal (model_not_allowed,
	// rate_limited, budget_exceeded); nil for other failures.
	Limit *Limit
}

// Limit is a policy limit's figures, as a refusal gives them.
type Limit struct {
	Name  string `json:"limit"` // e.g. "requests_per_minute", "budget.daily_usd", "models"
	Scope string `json:"scope"` // "agent:NAME", "model:NAME" or "global"
	Unit  string `json:"unit"`  // "requests", "tokens", "calls" or "usd"
	// Max is the limit; Used what was used of it in its period; Reserved
	// what calls in flight hold of it.
	Max      float64 `json:"max"`
	Used     float64 `json:"used"`
	Reserved float64 `json:"reserved"`
	// ResetsAt is when the period ends; zero for limits without one.
	ResetsAt time.Time `json:"resets_at"`
	// RetryAfter is how long to wait before the same call may pass; zero
	// when waiting within the period will not help.
	RetryAfter time.Duration `json:"-"`
}

func (e *Error) Error() string {
	return "[" + string(e.Kind) + "] " + e.Message
}

// errorMeta is the _meta key under which the gateway gives a failed call's
// kind and retryability.
const errorMeta = "llm-gateway/error"

// toolError turns a tool result with isError into *Error. The kind comes
// from _meta when the gateway put it there, else from the "[kind]" prefix of
// the text, which the gateway always writes for clients that read only text.
func toolError(res *mcp.CallToolResult) *Error {
	var text strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			if text.Len() > 0 {
				text.WriteByte('\n')
			}
			text.WriteString(t.Text)
		}
	}
	e := &Error{Kind: KindUnknown, Message: text.String()}
	if k, rest, ok := cutKind(e.Message); ok {
		e.Kind, e.Message = k, rest
	}
	if raw, ok := res.Meta[errorMeta]; ok {
		// _meta arrives as decoded JSON (map[string]any); a round trip
		// through JSON reads it into a typed value whatever its Go shape.
		var m struct {
			Kind       ErrorKind `json:"kind"`
			Retryable  bool      `json:"retryable"`
			Limit      string    `json:"limit"`
			RetryAfter float64   `json:"retry_after_seconds"`
		}
		if b, err := json.Marshal(raw); err == nil && json.Unmarshal(b, &m) == nil {
			if m.Kind != "" {
				e.Kind = m.Kind
			}
			e.Retryable = m.Retryable
			if m.Limit != "" {
				var l Limit
				if json.Unmarshal(b, &l) == nil {
					l.RetryAfter = time.Duration(m.RetryAfter * float64(time.Second))
					e.Limit = &l
				}
			}
		}
	}
	return e
}

// cutKind splits "[kind] message" into its parts.
func cutKind(s string) (ErrorKind, string, bool) {
	if !strings.HasPrefix(s, "[") {
		return "", s, false
	}
	end := strings.IndexByte(s, ']')
	if end < 2 {
		return "", s, false
	}
	kind := s[1:end]
	for _, r := range kind {
		if (r < 'a' || r > 'z') && r != '_' && r != '-' {
			return "", s, false
		}
	}
	return ErrorKind(kind), strings.TrimPrefix(s[end+1:], " "), true
}
