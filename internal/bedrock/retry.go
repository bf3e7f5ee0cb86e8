package bedrock

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// codeModelNotReady is what Bedrock answers while a model is being loaded
// (typically an imported or rarely used model). The SDK does not retry it
// by default, but a later attempt usually succeeds.
const codeModelNotReady = "ModelNotReadyException"

// newRetryer is the SDK's standard retryer (throttling, 5xx and connection
// errors, exponential backoff with jitter, a client-wide retry quota) with
// ModelNotReadyException added as a retryable throttle, so that it gets the
// longer throttle backoff.
func newRetryer(maxAttempts int, maxBackoff time.Duration, log *slog.Logger) aws.Retryer {
	std := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		notReady := map[string]struct{}{codeModelNotReady: {}}
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: notReady})
		o.Throttles = append(o.Throttles, retry.ThrottleErrorCode{Codes: notReady})
		// A 200 with a body cut short or not JSON is a failed attempt like
		// a 5xx; the SDK does not retry it by default.
		o.Retryables = append(o.Retryables, retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			var de *smithy.DeserializationError
			if errors.As(err, &de) || errors.Is(err, io.ErrUnexpectedEOF) {
				return aws.TrueTernary
			}
			return aws.UnknownTernary
		}))
	})
	return &loggingRetryer{RetryerV2: std, log: log}
}

// loggingRetryer logs each retry, which is otherwise invisible: the caller
// only sees the last attempt's outcome.
type loggingRetryer struct {
	aws.RetryerV2
	log *slog.Logger
}

// RetryDelay is called by the SDK only when it is about to retry.
func (r *loggingRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	d, derr := r.RetryerV2.RetryDelay(attempt, err)
	if derr == nil {
		r.log.Info("bedrock: retrying", logKeyAttempt, attempt+1, logKeyErrorCode, errorCode(err), logKeyDelay, d)
	}
	return d, derr
}
