package bedrock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// codeModelNotReady is what Bedrock answers while a model is being loaded
// (typically an imported or rarely used model). The SDK does not retry it
// by default, but a later attempt usually succeeds.
const codeModelNotReady = "ModelNotReadyException"

// newRetryer is the SDK's standard retryer (throttling, 5xx and connection
// errors, exponential backoff with jitter, a client-wide retry quota) with
// ModelNotReadyException added as a retryable throttle, so that it gets the
// longer throttle backoff.
func newRetryer(maxAttempts int, maxBackoff time.Duration, noQuota bool, log *slog.Logger) aws.Retryer {
	std := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		notReady := map[string]struct{}{codeModelNotReady: {}}
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: notReady})
		o.Throttles = append(o.Throttles, retry.ThrottleErrorCode{Codes: notReady})
		// A 200 with a body cut short or not JSON is a failed attempt like
		// a 5xx; the SDK does not retry it by default. An answer past
		// MaxAnswerBytes would be as large again: not retried. First, so
		// that the SDK's own checks do not decide these.
		o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			var de *smithy.DeserializationError
			switch {
			case errors.Is(err, errAnswerTooLarge):
				return aws.FalseTernary
			case errors.As(err, &de) || errors.Is(err, io.ErrUnexpectedEOF):
				return aws.TrueTernary
			}
			return aws.UnknownTernary
		})}, o.Retryables...)
		if noQuota {
			o.RateLimiter = ratelimit.None
		}
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

// sdkLogger sends what the AWS SDK logs (a deprecation notice, a clock skew
// warning) to the gateway's logger, so that LOG_FORMAT=json stays JSON
// and LOG_LEVEL applies; the SDK would print plain text to stderr.
func sdkLogger(log *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		level := slog.LevelDebug
		if c == logging.Warn {
			level = slog.LevelWarn
		}
		log.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "aws-sdk")
	})
}
