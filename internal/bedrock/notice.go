package bedrock

import (
	"context"
	"fmt"

	"github.com/aws/smithy-go/middleware"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// attemptsKey carries a call's attempt counter from the operation's
// start to each attempt the SDK's retry loop makes.
type attemptsKey struct{}

// noticeRetries tells the caller (gateway.Notify) of every attempt after
// the first. The retry loop gives its attempt number only to unexported
// context values, so one middleware before it starts a counter and one
// after it counts.
func noticeRetries(maxAttempts int) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("llm-gateway/attempts",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(context.WithValue(ctx, attemptsKey{}, new(int)), in)
			}), middleware.Before)
		if err != nil {
			return err
		}
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("llm-gateway/retry-notice",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if n, ok := ctx.Value(attemptsKey{}).(*int); ok {
					*n++ // attempts of one call run one after another
					if *n > 1 {
						gateway.Notify(ctx, gateway.Notice{Level: "warning", Kind: "retry",
							Message: fmt.Sprintf("Bedrock failed or throttled the call; attempt %d of %d", *n, maxAttempts)})
					}
				}
				return next.HandleFinalize(ctx, in)
			}), "Retry", middleware.After)
	}
}
