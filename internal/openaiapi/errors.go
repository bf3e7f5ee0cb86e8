package openaiapi

import (
	"errors"
	"net/http"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// errorStatus maps a gateway error kind to OpenAI's status code and error
// type, so that SDKs raise the error class their users catch and retry what
// may succeed on retry (429 and 5xx).
func errorStatus(kind gateway.ErrorKind) (int, string) {
	switch kind {
	case gateway.KindInvalidRequest:
		return http.StatusBadRequest, "invalid_request_error"
	case gateway.KindUnknownModel, gateway.KindModelNotFound, gateway.KindEndOfLife:
		return http.StatusNotFound, "invalid_request_error"
	case gateway.KindAccessDenied, gateway.KindModelNotAllowed:
		return http.StatusForbidden, "permission_error"
	case gateway.KindThrottled, gateway.KindRateLimited:
		return http.StatusTooManyRequests, "rate_limit_error"
	case gateway.KindBudgetExceeded:
		return http.StatusTooManyRequests, "insufficient_quota"
	case gateway.KindTimeout:
		return http.StatusGatewayTimeout, "timeout_error"
	case gateway.KindUnavailable:
		return http.StatusServiceUnavailable, "api_error"
	case gateway.KindModelError:
		return http.StatusBadGateway, "api_error"
	case gateway.KindCanceled:
		return 499, "api_error" // the client has gone; nobody reads it
	}
	return http.StatusInternalServerError, "server_error"
}

// errorBody is err in OpenAI's shape. Code is the gateway's error kind;
// Param the field at fault, if known.
func errorBody(err error) (int, *ErrorBody) {
	kind := gateway.KindOf(err)
	status, typ := errorStatus(kind)
	msg := err.Error()
	if kind == gateway.KindInternal {
		msg = "internal error in the gateway; it has been logged"
	}
	code := string(kind)
	if kind == gateway.KindUnknownModel {
		code = "model_not_found" // what OpenAI's own API says
	}
	body := &ErrorBody{Error: ErrorDetail{Message: msg, Type: typ, Code: &code}}
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.Field != "" {
		body.Error.Param = &ge.Field
	}
	return status, body
}

// writeError answers err in OpenAI's shape. Retryable failures carry
// Retry-After; the others carry x-should-retry: false, which the official
// SDKs obey over their own rule for 5xx.
func writeError(w http.ResponseWriter, err error) {
	status, body := errorBody(err)
	httpapi.SetRetryHeaders(w.Header(), err, status)
	writeJSON(w, status, body)
}

// Refuse answers a request the HTTP server refused before it reached the
// API (no key, bad origin, body too large) in OpenAI's error shape.
func Refuse(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	typ := "invalid_request_error"
	switch status {
	case http.StatusUnauthorized:
		typ = "authentication_error"
	case http.StatusForbidden:
		typ = "permission_error"
	}
	writeJSON(w, status, &ErrorBody{Error: ErrorDetail{Message: msg, Type: typ}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	httpapi.WriteJSON(w, status, v, `{"error":{"message":"internal error in the gateway","type":"server_error","param":null,"code":null}}`)
}
