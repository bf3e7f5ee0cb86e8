package bedrock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// sdkError wraps err the way the SDK hands an API error back from a call:
// an operation error around a response error carrying the HTTP status,
// after the retryer gave up.
func sdkError(status int, err error) error {
	return &smithy.OperationError{
		ServiceID:     "Bedrock Runtime",
		OperationName: "Converse",
		Err: &retry.MaxAttemptsError{Attempt: 3, Err: &awshttp.ResponseError{
			RequestID: "req-1",
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
				Err:      err,
			},
		}},
	}
}

func TestClassify(t *testing.T) {
	const model = "us.amazon.nova-pro-v1:0"
	msg := aws.String
	tests := []struct {
		name          string
		err           error
		wantKind      gateway.ErrorKind
		wantRetryable bool
		wantInMessage []string
	}{
		{"throttling", sdkError(429, &types.ThrottlingException{Message: msg("Too many requests")}),
			gateway.KindThrottled, true, []string{"Bedrock is throttling requests to " + model + "; retry after a pause or use another model"}},
		{"model not ready", sdkError(429, &types.ModelNotReadyException{Message: msg("Model is loading")}),
			gateway.KindThrottled, true, []string{"throttling", "not ready"}},
		{"service quota", sdkError(400, &types.ServiceQuotaExceededException{Message: msg("quota")}),
			gateway.KindThrottled, true, []string{"quota"}},
		{"validation", sdkError(400, &types.ValidationException{Message: msg("The maximum tokens you requested exceeds the model limit of 5120")}),
			gateway.KindInvalidRequest, false, []string{"model limit of 5120"}},
		{"validation end of life", sdkError(400, &types.ValidationException{Message: msg("This model version has reached the end of its life. Please refer to the AWS documentation for more details.")}),
			gateway.KindEndOfLife, false, []string{"end of its life", "current model"}},
		{"not found legacy", sdkError(404, &types.ResourceNotFoundException{Message: msg("Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days.")}),
			gateway.KindEndOfLife, false, []string{"Legacy"}},
		{"access denied", sdkError(403, &types.AccessDeniedException{Message: msg("You don't have access to the model with the specified model ID.")}),
			gateway.KindAccessDenied, false, []string{"Bedrock console", "bedrock:InvokeModel", "us-west-2"}},
		{"signed for another region", sdkError(403, &smithy.GenericAPIError{Code: "InvalidSignatureException", Message: "Credential should be scoped to a valid region. "}),
			gateway.KindAccessDenied, false, []string{"signed for us-west-2", "AWS_REGION"}},
		{"access denied wrong region", sdkError(403, &types.AccessDeniedException{Message: msg("Credential should be scoped to correct region: 'eu-west-1'")}),
			gateway.KindAccessDenied, false, []string{"signed for us-west-2", "Region of the endpoint"}},
		{"not found", sdkError(404, &types.ResourceNotFoundException{Message: msg("Model not found")}),
			gateway.KindModelNotFound, false, []string{model, "us-west-2", "inference profile"}},
		{"model timeout", sdkError(408, &types.ModelTimeoutException{Message: msg("timed out")}),
			gateway.KindTimeout, true, []string{"too long"}},
		{"internal server", sdkError(500, &types.InternalServerException{Message: msg("oops")}),
			gateway.KindUnavailable, true, []string{"unavailable", "InternalServerException"}},
		{"service unavailable", sdkError(503, &types.ServiceUnavailableException{Message: msg("busy")}),
			gateway.KindUnavailable, true, []string{"unavailable"}},
		{"unmodeled 502", sdkError(502, &smithy.GenericAPIError{Code: "BadGateway", Message: "bad gateway"}),
			gateway.KindUnavailable, true, []string{"HTTP 502"}},
		{"model error", sdkError(424, &types.ModelErrorException{Message: msg("model crashed")}),
			gateway.KindModelError, true, []string{"model crashed"}},
		{"model stream error", &types.ModelStreamErrorException{Message: msg("stream broke")},
			gateway.KindModelError, true, []string{"stream broke"}},
		{"unknown code 429", sdkError(429, &smithy.GenericAPIError{Code: "TooManyThings"}),
			gateway.KindThrottled, true, nil},
		{"unknown code 400", sdkError(400, &smithy.GenericAPIError{Code: "Whatever", Message: "bad"}),
			gateway.KindInvalidRequest, false, []string{"Whatever", "bad"}},
		{"unknown code 418", sdkError(418, &smithy.GenericAPIError{Code: "Teapot"}),
			gateway.KindInternal, false, []string{"Teapot"}},
		{"plain 503 response", sdkError(503, errors.New("http 503")),
			gateway.KindUnavailable, true, []string{"HTTP 503"}},
		{"transport", &smithy.OperationError{Err: &smithyhttp.RequestSendError{Err: &url.Error{
			Op: "Post", URL: "https://bedrock-runtime.us-west-2.amazonaws.com/model/x/converse",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
		}}}, gateway.KindUnavailable, true, []string{"cannot reach Bedrock", "connection refused"}},
		{"transport timeout", &smithy.OperationError{Err: &smithyhttp.RequestSendError{Err: &url.Error{
			Op: "Post", URL: "https://example", Err: timeoutError{},
		}}}, gateway.KindTimeout, true, []string{"timed out"}},
		{"deadline", &smithy.OperationError{Err: &aws.RequestCanceledError{Err: context.DeadlineExceeded}},
			gateway.KindTimeout, true, []string{"deadline"}},
		{"canceled", &smithy.OperationError{Err: &aws.RequestCanceledError{Err: context.Canceled}},
			gateway.KindCanceled, false, []string{"canceled"}},
		{"no credentials", &smithy.OperationError{Err: fmt.Errorf("get identity: %w", &credentialsError{
			err: errors.New("failed to refresh cached credentials, no EC2 IMDS role found"),
		})}, gateway.KindAccessDenied, false, []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "--simulate", "no EC2 IMDS role"}},
		{"already classified", gateway.Invalid("messages", "no turns"),
			gateway.KindInvalidRequest, false, []string{"no turns"}},
		{"unknown", errors.New("something odd"),
			gateway.KindInternal, false, []string{"something odd"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := classify(t.Context(), model, "us-west-2", tc.err)
			if got.Kind != tc.wantKind || got.Retryable != tc.wantRetryable {
				t.Errorf("classify() = %q retryable %v, want %q retryable %v (message %q)",
					got.Kind, got.Retryable, tc.wantKind, tc.wantRetryable, got.Message)
			}
			for _, s := range tc.wantInMessage {
				if !strings.Contains(got.Error(), s) {
					t.Errorf("classify().Error() = %q, want it to contain %q", got.Error(), s)
				}
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("classify() does not wrap the cause %v", tc.err)
			}
		})
	}
}

// timeoutError is a net.Error that timed out, as a dial or read deadline
// gives.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestClassifyContextWins(t *testing.T) {
	// Once the caller's context is done, a failure it caused is reported
	// as such, even when the SDK saw something else (a broken read, or a
	// credential fetch cut short).
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithTimeout(t.Context(), 0)
	defer cancel2()
	broken := errors.New("read tcp: use of closed network connection")
	creds := &credentialsError{err: errors.New("request canceled")}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want gateway.ErrorKind
	}{
		{"canceled broken read", canceled, broken, gateway.KindCanceled},
		{"canceled credentials", canceled, creds, gateway.KindCanceled},
		{"expired broken read", expired, broken, gateway.KindTimeout},
		{"live credentials wrapping canceled", t.Context(), &credentialsError{err: context.Canceled}, gateway.KindAccessDenied},
	}
	for _, tc := range tests {
		if got := classify(tc.ctx, "m", "r", tc.err).Kind; got != tc.want {
			t.Errorf("%s: classify() kind = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestIsEndOfLife(t *testing.T) {
	tests := map[string]bool{
		"This model version has reached the end of its life.":                        true,
		"Access denied. This Model is marked by provider as Legacy and you have not": true,
		"The model is end-of-life":                                                   true,
		"Malformed input request: extraneous key [foo] is not permitted":             false,
		"": false,
	}
	for msg, want := range tests {
		if got := isEndOfLife(msg); got != want {
			t.Errorf("isEndOfLife(%q) = %v, want %v", msg, got, want)
		}
	}
}
