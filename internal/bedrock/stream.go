package bedrock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// errStreamEnded reports a stream that closed cleanly but before Bedrock
// said the message was complete: the answer may be cut short.
var errStreamEnded = errors.New("the event stream ended before the message stop event")

// ConverseStream sends one call and passes the answer's text to onDelta as
// it arrives, from the calling goroutine; the returned Completion holds the
// whole answer, the stop reason and the usage. onDelta may be nil.
//
// Canceling ctx stops reading and closes the stream. A stream that breaks
// after it started is not retried: the error (a *gateway.Error) says how
// many characters had arrived, and onDelta has seen them.
func (c *Client) ConverseStream(ctx context.Context, call *gateway.Call, onDelta func(text string)) (*gateway.Completion, error) {
	in, err := buildStreamInput(call)
	if err != nil {
		return nil, err
	}
	out, err := c.rt.ConverseStream(ctx, in)
	if err != nil {
		return nil, c.fail(ctx, call.ModelID, err)
	}
	stream := out.GetStream()
	defer stream.Close()

	var acc assembler
	events := stream.Events()
	for open := true; open; {
		select {
		case <-ctx.Done():
			return nil, c.failMidway(ctx, call.ModelID, &acc, ctx.Err())
		case ev, ok := <-events:
			if !ok {
				open = false
				break
			}
			if text := acc.add(ev); text != "" && onDelta != nil {
				onDelta(text)
			}
		}
	}
	if err := stream.Err(); err != nil {
		return nil, c.failMidway(ctx, call.ModelID, &acc, err)
	}
	if !acc.stopped {
		return nil, c.failMidway(ctx, call.ModelID, &acc, errStreamEnded)
	}
	if !acc.metadata {
		// Usage is then unknown and the call will look free; say so.
		c.log.Warn("bedrock: stream ended without usage metadata", logKeyModel, call.ModelID)
	}
	comp, known := acc.completion()
	if !known {
		c.log.Warn("bedrock: unmapped stop reason, reported as stop",
			logKeyModel, call.ModelID, logKeyStopReason, string(acc.stopReason))
	}
	c.logDone(ctx, call.ModelID, comp)
	return comp, nil
}

// failMidway classifies a failure after the stream started. The message
// says how much of the answer had arrived, so that the caller knows what
// it holds. Failures the classifier does not know are reported as
// Bedrock being unavailable: a broken or garbled stream is worth a retry.
func (c *Client) failMidway(ctx context.Context, model string, acc *assembler, err error) *gateway.Error {
	e := c.fail(ctx, model, err)
	if e.Kind == gateway.KindInternal || errors.Is(err, errStreamEnded) {
		e.Kind, e.Retryable = gateway.KindUnavailable, true
		e.Message = fmt.Sprintf("the stream from %s broke (%v); retry", model, err)
	}
	n := utf8.RuneCountInString(acc.text.String())
	e.Message = fmt.Sprintf("stream interrupted after %d characters had arrived: %s", n, e.Message)
	return e
}

// assembler collects the events of one stream.
type assembler struct {
	text       strings.Builder
	stopped    bool
	stopReason types.StopReason
	metadata   bool
	usage      gateway.Usage
	latencyMs  *int64
}

// add records one event and returns its text, if it carries any.
func (a *assembler) add(ev types.ConverseStreamOutput) string {
	switch v := ev.(type) {
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		if t, ok := v.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
			a.text.WriteString(t.Value)
			return t.Value
		}
	case *types.ConverseStreamOutputMemberMessageStop:
		a.stopped = true
		a.stopReason = v.Value.StopReason
	case *types.ConverseStreamOutputMemberMetadata:
		a.metadata = true
		a.usage = usage(v.Value.Usage)
		if v.Value.Metrics != nil {
			a.latencyMs = v.Value.Metrics.LatencyMs
		}
	}
	return ""
}

// completion is the assembled answer. known is as for finishReason.
func (a *assembler) completion() (*gateway.Completion, bool) {
	reason, known := finishReason(a.stopReason)
	return &gateway.Completion{
		Content:      a.text.String(),
		FinishReason: reason,
		Usage:        a.usage,
		Latency:      millis(a.latencyMs),
	}, known
}
