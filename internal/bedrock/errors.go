package bedrock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Bedrock Runtime error codes, as smithy.APIError.ErrorCode reports them.
const (
	codeAccessDenied       = "AccessDeniedException"
	codeConflict           = "ConflictException"
	codeInternalServer     = "InternalServerException"
	codeModelError         = "ModelErrorException"
	codeModelStreamError   = "ModelStreamErrorException"
	codeModelTimeout       = "ModelTimeoutException"
	codeResourceNotFound   = "ResourceNotFoundException"
	codeServiceQuota       = "ServiceQuotaExceededException"
	codeServiceUnavailable = "ServiceUnavailableException"
	codeThrottling         = "ThrottlingException"
	codeValidation         = "ValidationException"
)

// classify turns any failure of a Bedrock call into a *gateway.Error whose
// message says what to do. ctx is the call's context: once it is done, the
// failure is reported as canceled or timed out whatever the SDK saw, since
// that is what the caller caused. model and region only name things in
// messages.
func classify(ctx context.Context, model, region string, err error) *gateway.Error {
	var ge *gateway.Error
	if errors.As(err, &ge) {
		return ge
	}
	e := &gateway.Error{Err: err}
	var credErr *credentialsError
	var apiErr smithy.APIError
	var sendErr *smithyhttp.RequestSendError
	var deserErr *smithy.DeserializationError
	var timeoutErr interface{ Timeout() bool }
	// The caller's context comes first: once it is done, whatever the SDK
	// saw (a broken read, a failed credential fetch) is a consequence.
	isCred := errors.As(err, &credErr)
	cause := ctx.Err()
	if cause == nil && !isCred {
		switch {
		case errors.Is(err, context.Canceled):
			cause = context.Canceled
		case errors.Is(err, context.DeadlineExceeded):
			cause = context.DeadlineExceeded
		}
	}
	switch {
	case errors.Is(cause, context.Canceled):
		e.Kind = gateway.KindCanceled
		e.Message = fmt.Sprintf("the call to %s was canceled before it finished", model)
	case errors.Is(cause, context.DeadlineExceeded):
		e.Kind, e.Retryable = gateway.KindTimeout, true
		e.Message = fmt.Sprintf("%s did not answer before the deadline; retry with a longer timeout or a smaller max_tokens, or use a faster model", model)
	case isCred:
		e.Kind = gateway.KindAccessDenied
		e.Message = fmt.Sprintf("no usable AWS credentials for Bedrock (%v); "+
			"set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with AWS_PROFILE "+
			"(after `aws sso login` for SSO profiles), set AWS_BEARER_TOKEN_BEDROCK, "+
			"or start the gateway with --simulate to answer without AWS", credErr.err)
	case errors.As(err, &apiErr):
		classifyAPI(e, apiErr, statusCode(err), model, region)
	case errors.As(err, &timeoutErr) && timeoutErr.Timeout():
		e.Kind, e.Retryable = gateway.KindTimeout, true
		e.Message = fmt.Sprintf("the connection to Bedrock timed out while calling %s; retry, or use a faster model", model)
	case errors.Is(err, errAnswerTooLarge):
		e.Kind = gateway.KindModelError
		e.Message = fmt.Sprintf("the answer from %s is larger than the gateway accepts (MAX_ANSWER_BYTES); ask for fewer max_tokens, or raise the setting", model)
	case errors.As(err, &deserErr) || errors.Is(err, io.ErrUnexpectedEOF):
		// A 200 whose body was cut short or is not JSON: Bedrock's side (or
		// a proxy in the way) failed, not the gateway; another try may pass.
		e.Kind, e.Retryable = gateway.KindUnavailable, true
		e.Message = fmt.Sprintf("Bedrock's answer from %s was cut short or is not a valid answer (%v); retry, or use another model", model, errors.Unwrap(err))
	case errors.As(err, &sendErr):
		e.Kind, e.Retryable = gateway.KindUnavailable, true
		e.Message = fmt.Sprintf("cannot reach Bedrock in %s to call %s (%v); check the network, the region and any AWS_ENDPOINT_URL setting, then retry", region, model, sendErr.Err)
	default:
		if s := statusCode(err); s >= 500 {
			e.Kind, e.Retryable = gateway.KindUnavailable, true
			e.Message = fmt.Sprintf("Bedrock answered HTTP %d to the call to %s; retry after a pause or use another model", s, model)
			break
		}
		e.Kind = gateway.KindInternal
		e.Message = fmt.Sprintf("unexpected failure calling %s on Bedrock: %v", model, err)
	}
	return e
}

// classifyAPI fills e from an error Bedrock answered with.
func classifyAPI(e *gateway.Error, apiErr smithy.APIError, status int, model, region string) {
	msg := apiErr.ErrorMessage()
	said := ""
	if msg != "" {
		said = fmt.Sprintf(" (Bedrock says: %s)", msg)
	}
	switch code := apiErr.ErrorCode(); {
	case code == codeValidation && isEndOfLife(msg),
		code == codeResourceNotFound && isEndOfLife(msg),
		code == codeAccessDenied && isEndOfLife(msg):
		e.Kind = gateway.KindEndOfLife
		e.Message = fmt.Sprintf("%s is at end of life or marked legacy on Bedrock%s; switch to a current model from the catalog", model, said)
	case code == codeThrottling:
		e.Kind, e.Retryable = gateway.KindThrottled, true
		e.Message = fmt.Sprintf("Bedrock is throttling requests to %s; retry after a pause or use another model", model)
	case code == codeModelNotReady:
		e.Kind, e.Retryable = gateway.KindThrottled, true
		e.Message = fmt.Sprintf("Bedrock is throttling requests to %s: the model is not ready yet (it may be loading); retry after a pause or use another model", model)
	case code == codeServiceQuota:
		e.Kind, e.Retryable = gateway.KindThrottled, true
		e.Message = fmt.Sprintf("the call to %s exceeds an AWS service quota of this account%s; retry later, lower max_tokens, use another model, or ask AWS for a quota increase", model, said)
	case code == codeValidation:
		e.Kind = gateway.KindInvalidRequest
		e.Message = fmt.Sprintf("Bedrock rejected the request to %s%s; change the request", model, said)
	case isSigningRegion(msg):
		// A signature scoped to another Region is refused as access denied
		// or an invalid signature; credentials and IAM are not the cause.
		e.Kind = gateway.KindAccessDenied
		e.Message = fmt.Sprintf("Bedrock refused the request to %s because it was signed for %s and the endpoint serves another Region%s; "+
			"make AWS_REGION the Region of the endpoint (or unset AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_ENDPOINT_URL to call the Region's own endpoint)", model, region, said)
	case code == codeAccessDenied:
		e.Kind = gateway.KindAccessDenied
		e.Message = fmt.Sprintf("access to %s in %s was denied%s; enable the model under Model access in the Bedrock console "+
			"and grant the caller the IAM permissions bedrock:InvokeModel and bedrock:InvokeModelWithResponseStream", model, region, said)
	case code == codeResourceNotFound:
		e.Kind = gateway.KindModelNotFound
		e.Message = fmt.Sprintf("Bedrock in %s does not know %s%s; check the model ID, whether the model is offered in this region, "+
			"or use a cross-region inference profile (such as us.<model ID>)", region, model, said)
	case code == codeModelTimeout:
		e.Kind, e.Retryable = gateway.KindTimeout, true
		e.Message = fmt.Sprintf("%s took too long to answer%s; retry, lower max_tokens, or use a faster model", model, said)
	case code == codeModelError, code == codeModelStreamError:
		e.Kind, e.Retryable = gateway.KindModelError, true
		e.Message = fmt.Sprintf("%s failed while answering%s; retry, or use another model", model, said)
	case code == codeInternalServer, code == codeServiceUnavailable, status >= 500:
		e.Kind, e.Retryable = gateway.KindUnavailable, true
		e.Message = fmt.Sprintf("Bedrock is unavailable for %s (%s)%s; retry after a pause or use another model", model, codeOrStatus(code, status), said)
	case code == codeConflict:
		e.Kind = gateway.KindInvalidRequest
		e.Message = fmt.Sprintf("Bedrock refused the request to %s because of a conflicting operation%s; retry later", model, said)
	default:
		classifyStatus(e, code, status, model, said)
	}
}

// classifyStatus handles error codes this package does not know, by the
// HTTP status Bedrock sent with them.
func classifyStatus(e *gateway.Error, code string, status int, model, said string) {
	switch status {
	case 429:
		e.Kind, e.Retryable = gateway.KindThrottled, true
		e.Message = fmt.Sprintf("Bedrock is throttling requests to %s; retry after a pause or use another model", model)
	case 408:
		e.Kind, e.Retryable = gateway.KindTimeout, true
		e.Message = fmt.Sprintf("%s took too long to answer%s; retry, lower max_tokens, or use a faster model", model, said)
	case 401, 403:
		e.Kind = gateway.KindAccessDenied
		e.Message = fmt.Sprintf("Bedrock refused the credentials for %s (%s)%s; check the AWS credentials and the IAM permission bedrock:InvokeModel", model, codeOrStatus(code, status), said)
	case 404:
		e.Kind = gateway.KindModelNotFound
		e.Message = fmt.Sprintf("Bedrock does not know %s%s; check the model ID and region", model, said)
	case 400, 413, 422:
		e.Kind = gateway.KindInvalidRequest
		e.Message = fmt.Sprintf("Bedrock rejected the request to %s (%s)%s; change the request", model, codeOrStatus(code, status), said)
	default:
		e.Kind = gateway.KindInternal
		e.Message = fmt.Sprintf("unexpected error from Bedrock calling %s (%s)%s", model, codeOrStatus(code, status), said)
	}
}

// isSigningRegion recognises AWS's answers to a request whose signature
// names the wrong Region ("Credential should be scoped to a valid region",
// "… to correct region", "the region 'x' is wrong; expecting 'y'").
func isSigningRegion(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "scoped to a valid region") || strings.Contains(m, "scoped to correct region") ||
		(strings.Contains(m, "region") && strings.Contains(m, "expecting"))
}

// isEndOfLife recognises Bedrock's messages for retired models ("This
// model version has reached the end of its life") and for legacy models
// the account has stopped using ("This Model is marked by provider as
// Legacy ...").
func isEndOfLife(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"end of its life", "end of life", "end-of-life", "legacy"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// statusCode is the HTTP status of the response that carried err, or zero.
func statusCode(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// errorCode names err for logs: the API error code, or the Go type.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	var credErr *credentialsError
	if errors.As(err, &credErr) {
		return "credentials"
	}
	return fmt.Sprintf("%T", err)
}

func codeOrStatus(code string, status int) string {
	switch {
	case code != "" && status != 0:
		return fmt.Sprintf("%s, HTTP %d", code, status)
	case code != "":
		return code
	case status != 0:
		return fmt.Sprintf("HTTP %d", status)
	}
	return "no status"
}
