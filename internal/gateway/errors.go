package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies a failure so that callers can act on it: retry,
// fall back to another model, or fix the request.
type ErrorKind string

// The kinds of failure. Transports map each to what their protocol offers.
const (
	KindInvalidRequest ErrorKind = "invalid_request" // the request must change
	KindUnknownModel   ErrorKind = "unknown_model"   // no such model in the catalog
	KindModelNotFound  ErrorKind = "model_not_found" // Bedrock does not know the model or it is not enabled
	KindEndOfLife      ErrorKind = "model_end_of_life"
	KindAccessDenied   ErrorKind = "access_denied"
	KindThrottled      ErrorKind = "throttled"
	KindTimeout        ErrorKind = "timeout"
	KindUnavailable    ErrorKind = "unavailable"
	KindModelError     ErrorKind = "model_error"
	KindCanceled       ErrorKind = "canceled"
	KindInternal       ErrorKind = "internal"

	// Refusals by Admission: the request never reached Bedrock.
	KindModelNotAllowed ErrorKind = "model_not_allowed"
	KindRateLimited     ErrorKind = "rate_limited"
	KindBudgetExceeded  ErrorKind = "budget_exceeded"
)

// Error is a classified failure. Message is written for the caller (an LLM
// agent or its developer) and says what to change or do.
type Error struct {
	Kind      ErrorKind
	Field     string // the request field at fault, for invalid requests
	Message   string
	Retryable bool
	Err       error // the cause, if any
	// Refusal gives the figures behind an Admission refusal; nil otherwise.
	Refusal *Refusal
}

// Refusal is what an Admission refusal is measured against, so that a
// client can act on it (wait, pick a cheaper model) without parsing text.
type Refusal struct {
	Limit string // the limit that refused, e.g. "budget.daily_usd", "requests_per_minute"
	Scope string // whose: "agent:NAME", "model:NAME" or "global"
	Unit  string // "usd", "requests", "tokens" or "calls"
	// Max is the limit; Used what was spent or used of it in its period;
	// Reserved what calls in flight hold of it now.
	Max, Used, Reserved float64
	// ResetsAt is when the period ends and the limit starts afresh; zero
	// for limits that no period resets (concurrency).
	ResetsAt time.Time
	// RetryAfter is how long to wait before the same call may pass; zero
	// when waiting will not help within the period.
	RetryAfter time.Duration
	// Downgrade names a cheaper model the policy allows instead; the
	// gateway tries it before giving up.
	Downgrade string
}

// RefusalOf returns the figures of the first refusal in err's chain, or nil.
func RefusalOf(err error) *Refusal {
	for err != nil {
		if e, ok := err.(*Error); ok && e.Refusal != nil { //nolint:errorlint // err is the refusal itself, as Admit returned it: a wrapped one is not a refusal
			return e.Refusal
		}
		err = errors.Unwrap(err)
	}
	return nil
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil && msg == "" {
		return fmt.Sprintf("%s: %v", e.Kind, e.Err)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid returns an invalid-request error about one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalidRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf classifies any error: an *Error anywhere in the chain gives its
// kind; context errors give canceled or timeout; anything else is internal.
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	}
	return KindInternal
}

// IsRetryable reports whether trying the same call again may succeed.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}
