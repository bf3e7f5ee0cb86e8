package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
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
			return acc.partial(call), c.failMidway(ctx, call.ModelID, &acc, ctx.Err())
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
		return acc.partial(call), c.failMidway(ctx, call.ModelID, &acc, err)
	}
	if !acc.stopped {
		return acc.partial(call), c.failMidway(ctx, call.ModelID, &acc, errStreamEnded)
	}
	if name := acc.badToolInput(); name != "" {
		// Bedrock sends whole JSON by the end of a block; anything else
		// means the model misbehaved, and garbage must not reach callers.
		return nil, &gateway.Error{Kind: gateway.KindModelError, Retryable: true,
			Message: fmt.Sprintf("%s streamed arguments for tool %q that are not JSON; retry, or use another model", call.ModelID, name)}
	}
	comp, known := acc.completion()
	if !acc.metadata {
		// AWS billed the call all the same: estimate rather than let it
		// look free, and say so.
		c.log.Warn("bedrock: stream ended without usage metadata; usage estimated", logKeyModel, call.ModelID)
		comp.Usage, comp.UsageEstimated = acc.estimate(call), true
	}
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

// partial is what a stream cut midway had produced, for its usage: AWS
// bills the tokens generated before the cut. Usage is Bedrock's when its
// metadata event came, else estimated (input from the size of the call,
// output from the text and tool input that arrived). It is nil when
// nothing had arrived, as nothing can be said of what was billed.
func (a *assembler) partial(call *gateway.Call) *gateway.Completion {
	if !a.metadata && a.outputBytes() == 0 {
		return nil
	}
	comp, _ := a.completion()
	comp.FinishReason = "" // there was no finish
	comp.ToolCalls = nil   // their input may be cut short
	if !a.metadata {
		comp.Usage, comp.UsageEstimated = a.estimate(call), true
	}
	return comp
}

// outputBytes is how much generated output has arrived.
func (a *assembler) outputBytes() int {
	n := a.text.Len()
	for _, t := range a.tools {
		n += len(t.call.Name) + t.input.Len()
	}
	return n
}

// estimate is the usage of the stream so far when Bedrock did not report it.
func (a *assembler) estimate(call *gateway.Call) gateway.Usage {
	return gateway.Usage{
		InputTokens:  gateway.EstimateInputTokens(call),
		OutputTokens: gateway.EstimateOutputTokens(a.outputBytes()),
	}
}

// assembler collects the events of one stream.
type assembler struct {
	text       strings.Builder
	tools      []*toolInput // in the order their blocks started
	stopped    bool
	stopReason types.StopReason
	metadata   bool
	usage      gateway.Usage
	tier       gateway.Tier
	latencyMs  *int64
}

// toolInput is a toolUse block being streamed: its input JSON arrives in
// pieces.
type toolInput struct {
	index int32
	call  gateway.ToolCall
	input strings.Builder
}

// add records one event and returns its text, if it carries any.
func (a *assembler) add(ev types.ConverseStreamOutput) string {
	switch v := ev.(type) {
	case *types.ConverseStreamOutputMemberContentBlockStart:
		if t, ok := v.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
			a.tools = append(a.tools, &toolInput{
				index: aws.ToInt32(v.Value.ContentBlockIndex),
				call:  gateway.ToolCall{ID: aws.ToString(t.Value.ToolUseId), Name: aws.ToString(t.Value.Name)},
			})
		}
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		switch d := v.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberText:
			a.text.WriteString(d.Value)
			return d.Value
		case *types.ContentBlockDeltaMemberToolUse:
			if t := a.tool(aws.ToInt32(v.Value.ContentBlockIndex)); t != nil {
				t.input.WriteString(aws.ToString(d.Value.Input))
			}
		}
	case *types.ConverseStreamOutputMemberMessageStop:
		a.stopped = true
		a.stopReason = v.Value.StopReason
	case *types.ConverseStreamOutputMemberMetadata:
		a.metadata = true
		a.usage = usage(v.Value.Usage)
		a.tier = servedTier(v.Value.ServiceTier)
		if v.Value.Metrics != nil {
			a.latencyMs = v.Value.Metrics.LatencyMs
		}
	}
	return ""
}

// tool is the toolUse block at index, or nil for a delta whose start was
// never seen.
func (a *assembler) tool(index int32) *toolInput {
	for i := len(a.tools) - 1; i >= 0; i-- {
		if a.tools[i].index == index {
			return a.tools[i]
		}
	}
	return nil
}

// completion is the assembled answer. known is as for finishReason.
func (a *assembler) completion() (*gateway.Completion, bool) {
	reason, known := finishReason(a.stopReason)
	comp := &gateway.Completion{
		Content:      a.text.String(),
		FinishReason: reason,
		Usage:        a.usage,
		ServiceTier:  a.tier,
		Latency:      millis(a.latencyMs),
	}
	for _, t := range a.tools {
		call := t.call
		call.Arguments = json.RawMessage(`{}`)
		if in := strings.TrimSpace(t.input.String()); in != "" {
			call.Arguments = json.RawMessage(in)
		}
		comp.ToolCalls = append(comp.ToolCalls, call)
	}
	return comp, known
}

// badToolInput names the first tool call whose streamed input is not JSON.
func (a *assembler) badToolInput() string {
	for _, t := range a.tools {
		if in := strings.TrimSpace(t.input.String()); in != "" && !json.Valid([]byte(in)) {
			return t.call.Name
		}
	}
	return ""
}
