package bedrocksim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error answer in Bedrock's shape: a status code, the
// exception name sent in X-Amzn-ErrorType, and a JSON body whose "message"
// the SDK turns into the typed error's Message.
type apiError struct {
	status  int
	code    string
	message string
	// extra holds exception members besides the message, such as
	// ModelErrorException's originalStatusCode.
	extra map[string]any
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// Exception names, as Bedrock Runtime and the AWS front end send them.
const (
	codeValidation       = "ValidationException"
	codeAccessDenied     = "AccessDeniedException"
	codeNotFound         = "ResourceNotFoundException"
	codeThrottling       = "ThrottlingException"
	codeModelTimeout     = "ModelTimeoutException"
	codeInternal         = "InternalServerException"
	codeUnavailable      = "ServiceUnavailableException"
	codeModelNotReady    = "ModelNotReadyException"
	codeModelError       = "ModelErrorException"
	codeUnknownOperation = "UnknownOperationException"
	codeMissingAuth      = "MissingAuthenticationTokenException"
	codeIncompleteSig    = "IncompleteSignatureException"
	codeInvalidSignature = "InvalidSignatureException"
	codeUnrecognized     = "UnrecognizedClientException"
)

func validationError(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeValidation, message: fmt.Sprintf(format, args...)}
}

// authError is a refusal by the signature check; AWS answers those with 403.
func authError(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusForbidden, code: code, message: fmt.Sprintf(format, args...)}
}

// Messages Bedrock uses for its validation failures, kept verbatim because
// callers (and the gateway's error mapping) match on them.
const (
	msgInvalidModel    = "The provided model identifier is invalid."
	msgStartWithUser   = "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	msgAlternate       = "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
	msgMalformed       = "Malformed input request, please reformat your input and try again."
	msgToolConfig      = "The toolConfig field must be defined when using toolUse and toolResult content blocks."
	msgBadSignature    = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgGuardrailRefuse = "Sorry, the model cannot answer this question."
)

// faultError returns the exception Bedrock sends with the given HTTP status,
// for the error=CODE marker.
func faultError(status int) (*apiError, bool) {
	var e *apiError
	switch status {
	case http.StatusBadRequest:
		e = &apiError{code: codeValidation, message: "Simulated validation failure."}
	case http.StatusForbidden:
		e = &apiError{code: codeAccessDenied, message: "You don't have access to the model with the specified model ID."}
	case http.StatusNotFound:
		e = &apiError{code: codeNotFound, message: "The requested resource could not be found."}
	case http.StatusRequestTimeout:
		e = modelTimeout()
	case http.StatusFailedDependency:
		e = &apiError{code: codeModelError, message: "The model returned an error. Try your request again.",
			extra: map[string]any{"originalStatusCode": 500, "resourceName": "simulated-model"}}
	case http.StatusTooManyRequests:
		e = throttling()
	case http.StatusInternalServerError:
		e = &apiError{code: codeInternal, message: "The system encountered an unexpected error during processing. Try your request again."}
	case http.StatusServiceUnavailable:
		e = unavailable("Bedrock is unable to process your request.")
	default:
		return nil, false
	}
	e.status = status
	return e, true
}

func throttling() *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: codeThrottling, message: "Too many requests, please wait before trying again."}
}

func modelTimeout() *apiError {
	return &apiError{status: http.StatusRequestTimeout, code: codeModelTimeout, message: "Model has timed out in processing the request. Try your request again."}
}

func modelNotReady() *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: codeModelNotReady, message: "Model is not ready to serve inference requests. The AWS SDK will automatically retry the operation. If you call the API directly, try again later."}
}

func unavailable(msg string) *apiError {
	return &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable, message: msg}
}

// body is the JSON payload of the error: the message and any extra members.
func (e *apiError) body() []byte {
	m := map[string]any{"message": e.message}
	for k, v := range e.extra {
		m[k] = v
	}
	b, _ := json.Marshal(m) // a map of strings and ints always marshals
	return b
}

// write sends the error as an HTTP response, as Bedrock's front end does.
func (e *apiError) write(w http.ResponseWriter, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.code)
	h.Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(e.status)
	_, _ = w.Write(e.body()) //nolint:gosec // a JSON error body with Content-Type application/json, never HTML
}
