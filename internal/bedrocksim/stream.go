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

// Event payloads, as Bedrock sends them.
type (
	messageStartEvent struct {
		Role string `json:"role"`
	}
	contentBlockDeltaEvent struct {
		ContentBlockIndex int       `json:"contentBlockIndex"`
		Delta             textDelta `json:"delta"`
	}
	textDelta struct {
		Text string `json:"text"`
	}
	contentBlockStopEvent struct {
		ContentBlockIndex int `json:"contentBlockIndex"`
	}
	messageStopEvent struct {
		StopReason string `json:"stopReason"`
	}
	metadataEvent struct {
		Usage   usage   `json:"usage"`
		Metrics metrics `json:"metrics"`
	}
)

// streamAnswer sends the answer as ConverseStream events. The directives may
// end it early with an exception or a corrupt frame; a cancelled context
// (client gone, server shutting down) ends it with serviceUnavailableException.
func (s *Server) streamAnswer(ctx context.Context, w http.ResponseWriter, requestID string, a answer, d directives, start time.Time) error {
	h := w.Header()
	h.Set("Content-Type", "application/vnd.amazon.eventstream")
	h.Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	sw := newStreamWriter(w)

	if err := sw.event("messageStart", messageStartEvent{Role: "assistant"}); err != nil {
		return err
	}
	deltas := splitDeltas(a.text)
	delay := s.opts.TokenDelay + d.tokenDelay
	for i := 0; i <= len(deltas); i++ {
		if i == d.streamErrorAfter {
			e, _ := streamException(d.streamException)
			return sw.exception(e)
		}
		if i == d.corruptAfter {
			return sw.corruptEvent("contentBlockDelta", contentBlockDeltaEvent{Delta: textDelta{Text: "corrupt"}})
		}
		if i == len(deltas) {
			break
		}
		if i > 0 {
			if err := wait(ctx, delay); err != nil {
				e, _ := streamException("serviceUnavailableException")
				sw.exception(e) // the client is likely gone: nothing to do if this fails
				return err
			}
		}
		if err := sw.event("contentBlockDelta", contentBlockDeltaEvent{Delta: textDelta{Text: deltas[i]}}); err != nil {
			return err
		}
	}
	if err := sw.event("contentBlockStop", contentBlockStopEvent{}); err != nil {
		return err
	}
	if err := sw.event("messageStop", messageStopEvent{StopReason: a.stopReason}); err != nil {
		return err
	}
	return sw.event("metadata", metadataEvent{Usage: a.usage, Metrics: metrics{LatencyMs: time.Since(start).Milliseconds()}})
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
