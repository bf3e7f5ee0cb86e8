package anthropicapi

import (
	"net/http"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// errorStatus maps a gateway error kind to Anthropic's status code and
// error type, so that SDKs raise the error class their users catch and
// retry what may succeed on retry (429 and 5xx, 529 overloaded).
func errorStatus(kind gateway.ErrorKind) (int, string) {
	switch kind {
	case gateway.KindInvalidRequest:
		return http.StatusBadRequest, "invalid_request_error"
	case gateway.KindUnknownModel, gateway.KindModelNotFound, gateway.KindEndOfLife:
		return http.StatusNotFound, "not_found_error"
	case gateway.KindAccessDenied, gateway.KindModelNotAllowed:
		return http.StatusForbidden, "permission_error"
	case gateway.KindThrottled, gateway.KindRateLimited, gateway.KindBudgetExceeded:
		return http.StatusTooManyRequests, "rate_limit_error"
	case gateway.KindTimeout:
		return http.StatusGatewayTimeout, "timeout_error"
	case gateway.KindUnavailable:
		return 529, "overloaded_error"
	case gateway.KindModelError:
		return http.StatusBadGateway, "api_error"
	case gateway.KindCanceled:
		return 499, "api_error" // the client has gone; nobody reads it
	}
	return http.StatusInternalServerError, "api_error"
}

// errorBody is err in Anthropic's shape; the message starts with the
// gateway's error kind in brackets, as the MCP tools' errors do.
func errorBody(err error, requestID string) (int, *ErrorBody) {
	kind := gateway.KindOf(err)
	status, typ := errorStatus(kind)
	msg := err.Error()
	if kind == gateway.KindInternal {
		msg = "internal error in the gateway; it has been logged"
	}
	return status, &ErrorBody{Type: "error", Error: ErrorDetail{Type: typ, Message: "[" + string(kind) + "] " + msg}, RequestID: requestID}
}

// writeError answers err in Anthropic's shape. Retryable failures carry
// Retry-After; the others carry x-should-retry: false, which the official
// SDKs obey over their own rule for 429 and 5xx.
func writeError(w http.ResponseWriter, err error, requestID string) {
	status, body := errorBody(err, requestID)
	httpapi.SetRetryHeaders(w.Header(), err, status)
	writeJSON(w, status, body)
}

// Refuse answers a request the HTTP server refused before it reached the
// API (no key, bad origin, body too large) in Anthropic's error shape.
func Refuse(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	typ := "invalid_request_error"
	switch status {
	case http.StatusUnauthorized:
		typ = "authentication_error"
	case http.StatusForbidden:
		typ = "permission_error"
	case http.StatusNotFound:
		typ = "not_found_error"
	case http.StatusRequestEntityTooLarge:
		typ = "request_too_large"
	}
	writeJSON(w, status, &ErrorBody{Type: "error", Error: ErrorDetail{Type: typ, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	httpapi.WriteJSON(w, status, v, `{"type":"error","error":{"type":"api_error","message":"internal error in the gateway"}}`)
}
