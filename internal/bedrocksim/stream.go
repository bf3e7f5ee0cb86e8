package bedrocksim

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// maxDeltaRunes bounds a streamed delta when the text has no spaces to split
// at (the echo's JSON, for one).
const maxDeltaRunes = 64

// streamWriter writes event stream frames, flushing each one so the client
// sees it at once, as with Bedrock.
type streamWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	enc *eventstream.Encoder
	buf bytes.Buffer
}

func newStreamWriter(w http.ResponseWriter) *streamWriter {
	return &streamWriter{w: w, rc: http.NewResponseController(w), enc: eventstream.NewEncoder()}
}

// event writes one event frame; the headers are those Bedrock sends, in its
// order.
func (sw *streamWriter) event(eventType string, payload any) error {
	var msg eventstream.Message
	msg.Headers.Set(":event-type", eventstream.StringValue(eventType))
	msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	msg.Headers.Set(":message-type", eventstream.StringValue("event"))
	msg.Payload = mustMarshal(payload)
	return sw.write(msg, false)
}

// exception writes an exception frame, which ends a Bedrock stream.
func (sw *streamWriter) exception(e *apiError) error {
	var msg eventstream.Message
	msg.Headers.Set(":exception-type", eventstream.StringValue(e.code))
	msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	msg.Headers.Set(":message-type", eventstream.StringValue("exception"))
	msg.Payload = e.body()
	return sw.write(msg, false)
}

// corruptEvent writes an event frame whose message CRC does not match.
func (sw *streamWriter) corruptEvent(eventType string, payload any) error {
	var msg eventstream.Message
	msg.Headers.Set(":event-type", eventstream.StringValue(eventType))
	msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
	msg.Headers.Set(":message-type", eventstream.StringValue("event"))
	msg.Payload = mustMarshal(payload)
	return sw.write(msg, true)
}

func (sw *streamWriter) write(msg eventstream.Message, corrupt bool) error {
	sw.buf.Reset()
	if err := sw.enc.Encode(&sw.buf, msg); err != nil {
		return err
	}
	if corrupt {
		// The last four bytes are the message CRC; flipping the byte before
		// them changes the payload it covers.
		b := sw.buf.Bytes()
		b[len(b)-5] ^= 0xff
	}
	if _, err := sw.w.Write(sw.buf.Bytes()); err != nil {
		return err
	}
	return sw.rc.Flush()
}

// Event types of a ConverseStream response.
const (
	evMessageStart      = "messageStart"
	evContentBlockStart = "contentBlockStart"
	evContentBlockDelta = "contentBlockDelta"
	evContentBlockStop  = "contentBlockStop"
	evMessageStop       = "messageStop"
	evMetadata          = "metadata"
)

// Event payloads, as Bedrock sends them.
type (
	messageStartEvent struct {
		Role string `json:"role"`
	}
	contentBlockStartEvent struct {
		Start             blockStart `json:"start"`
		ContentBlockIndex int        `json:"contentBlockIndex"`
	}
	blockStart struct {
		ToolUse toolUseStart `json:"toolUse"`
	}
	toolUseStart struct {
		ToolUseID string `json:"toolUseId"`
		Name      string `json:"name"`
	}
	contentBlockDeltaEvent struct {
		ContentBlockIndex int `json:"contentBlockIndex"`
		Delta             any `json:"delta"` // textDelta or toolUseDelta
	}
	textDelta struct {
		Text string `json:"text"`
	}
	toolUseDelta struct {
		ToolUse toolUseInput `json:"toolUse"`
	}
	reasoningDelta struct {
		ReasoningContent reasoningPiece `json:"reasoningContent"`
	}
	reasoningPiece struct {
		Text      string `json:"text,omitempty"`
		Signature string `json:"signature,omitempty"`
	}
	toolUseInput struct {
		Input string `json:"input"` // a piece of the input's JSON text
	}
	contentBlockStopEvent struct {
		ContentBlockIndex int `json:"contentBlockIndex"`
	}
	messageStopEvent struct {
		StopReason string `json:"stopReason"`
	}
	metadataEvent struct {
		Usage   usage          `json:"usage"`
		Metrics metrics        `json:"metrics"`
		Trace   *converseTrace `json:"trace,omitempty"`
		Tier    *serviceTier   `json:"serviceTier,omitempty"`
	}
)

// streamEvent is one event of a streamed answer, before it is sent.
type streamEvent struct {
	typ     string
	payload any
}

// contentEvents are the events of the answer's content blocks, in order.
// As with Bedrock, a text block starts with its first delta while a tool
// use opens with contentBlockStart (its ID and name) and streams its input
// as pieces of JSON text, at least two.
func (a *answer) contentEvents() []streamEvent {
	var evs []streamEvent
	i := 0
	if a.reasoning != "" {
		// Reasoning streams as its own block: text pieces, then the
		// signature.
		for _, d := range splitDeltas(a.reasoning) {
			evs = append(evs, streamEvent{evContentBlockDelta, contentBlockDeltaEvent{ContentBlockIndex: i, Delta: reasoningDelta{reasoningPiece{Text: d}}}})
		}
		evs = append(evs, streamEvent{evContentBlockDelta, contentBlockDeltaEvent{ContentBlockIndex: i, Delta: reasoningDelta{reasoningPiece{Signature: a.signature()}}}})
		evs = append(evs, streamEvent{evContentBlockStop, contentBlockStopEvent{ContentBlockIndex: i}})
		i++
	}
	if a.hasText() {
		for _, d := range splitDeltas(a.text) {
			evs = append(evs, streamEvent{evContentBlockDelta, contentBlockDeltaEvent{ContentBlockIndex: i, Delta: textDelta{Text: d}}})
		}
		evs = append(evs, streamEvent{evContentBlockStop, contentBlockStopEvent{ContentBlockIndex: i}})
		i++
	}
	for _, u := range a.toolUses {
		evs = append(evs, streamEvent{evContentBlockStart, contentBlockStartEvent{
			Start: blockStart{ToolUse: toolUseStart{ToolUseID: u.ToolUseID, Name: u.Name}}, ContentBlockIndex: i,
		}})
		for _, piece := range splitJSON(string(u.Input)) {
			evs = append(evs, streamEvent{evContentBlockDelta, contentBlockDeltaEvent{ContentBlockIndex: i, Delta: toolUseDelta{ToolUse: toolUseInput{Input: piece}}}})
		}
		evs = append(evs, streamEvent{evContentBlockStop, contentBlockStopEvent{ContentBlockIndex: i}})
		i++
	}
	return evs
}

// streamAnswer sends the answer as ConverseStream events. The directives may
// end it early with an exception or a corrupt frame, counted in deltas of
// any block; a cancelled context (client gone, server shutting down) ends it
// with serviceUnavailableException.
func (s *Server) streamAnswer(ctx context.Context, w http.ResponseWriter, requestID string, a answer, d directives, start time.Time) error {
	h := w.Header()
	h.Set("Content-Type", "application/vnd.amazon.eventstream")
	h.Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	sw := newStreamWriter(w)

	if err := sw.event(evMessageStart, messageStartEvent{Role: "assistant"}); err != nil {
		return err
	}
	events := a.contentEvents()
	total := 0
	for _, ev := range events {
		if ev.typ == evContentBlockDelta {
			total++
		}
	}
	delay := s.opts.TokenDelay + d.tokenDelay
	sent := 0 // deltas sent
	for _, ev := range events {
		isDelta := ev.typ == evContentBlockDelta
		// Faults strike before a delta, or after the last one.
		if isDelta || sent == total {
			if sent == d.streamErrorAfter {
				e, _ := streamException(d.streamException)
				return sw.exception(e)
			}
			if sent == d.corruptAfter {
				return sw.corruptEvent(evContentBlockDelta, contentBlockDeltaEvent{Delta: textDelta{Text: "corrupt"}})
			}
			if d.truncate && sent == 1 {
				// The connection is lost mid-stream: no exception, no end.
				_ = http.NewResponseController(w).Flush()
				panic(http.ErrAbortHandler)
			}
		}
		if isDelta && sent > 0 {
			if err := wait(ctx, delay); err != nil {
				e, _ := streamException("serviceUnavailableException")
				_ = sw.exception(e) // the client is likely gone: nothing to do if this fails
				return err
			}
		}
		if err := sw.event(ev.typ, ev.payload); err != nil {
			return err
		}
		if isDelta {
			sent++
		}
	}
	if err := sw.event(evMessageStop, messageStopEvent{StopReason: a.stopReason}); err != nil {
		return err
	}
	return sw.event(evMetadata, metadataEvent{Usage: a.usage, Metrics: metrics{LatencyMs: time.Since(start).Milliseconds()}, Trace: a.trace, Tier: a.served()})
}

// splitJSON cuts a tool use's input JSON into at least two pieces (when it
// has two runes or more), each at most maxDeltaRunes long.
func splitJSON(text string) []string {
	runes := []rune(text)
	if len(runes) < 2 {
		return []string{text}
	}
	size := min(maxDeltaRunes, (len(runes)+1)/2)
	var out []string
	for len(runes) > 0 {
		n := min(size, len(runes))
		out = append(out, string(runes[:n]))
		runes = runes[n:]
	}
	return out
}

// splitDeltas cuts text into word-sized pieces (each word with the space
// after it), at most maxDeltaRunes long, which concatenate back to text.
func splitDeltas(text string) []string {
	var out []string
	for piece := range strings.SplitAfterSeq(text, " ") {
		for utf8.RuneCountInString(piece) > maxDeltaRunes {
			n := 0
			for range maxDeltaRunes {
				_, size := utf8.DecodeRuneInString(piece[n:])
				n += size
			}
			out = append(out, piece[:n])
			piece = piece[n:]
		}
		if piece != "" {
			out = append(out, piece)
		}
	}
	return out
}
