package bedrocksim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// directives are what the [sim:…] markers of the last user message ask for.
// The zero value asks for nothing: a normal answer.
type directives struct {
	echo     bool
	reply    string
	hasReply bool

	throttle      bool // every call
	throttleFirst int  // if > 0, only the first N calls with this body
	errorStatus   int
	notReady      bool
	timeout       bool
	drop          bool
	hang          bool // never answer until the client gives up
	truncate      bool // a 200 whose body (or stream) is cut short
	notJSON       bool // a 200 whose body is not JSON

	latency    time.Duration
	tokenDelay time.Duration

	streamErrorAfter int // -1: none
	streamException  string
	corruptAfter     int    // -1: none
	guardrail        string // stop reason, or "" for none
	// guardrailDefault is set by [sim:guardrail] without a reason: the stop
	// reason then depends on whether the request has a guardrailConfig.
	guardrailDefault bool

	describe bool
	tools    []toolMarker // in the order of the markers
	// servedTier is the service tier the answer reports, whatever was
	// asked: Bedrock may serve a call on another tier than requested.
	servedTier string
}

// toolMarker is one [sim:tool=NAME] or [sim:tool=NAME:{…}] marker.
type toolMarker struct {
	name string
	args json.RawMessage // a JSON object, or nil to build arguments from the schema
}

const markerOpen = "[sim:"

// streamException returns the exception Bedrock may send inside a
// ConverseStream response, by its :exception-type header.
func streamException(name string) (*apiError, bool) {
	e := &apiError{code: name}
	switch name {
	case "modelStreamErrorException":
		e.message = "The model stream encountered an error. Try your request again."
		e.extra = map[string]any{"originalStatusCode": 500, "originalMessage": "simulated stream failure"}
	case "throttlingException":
		e.message = throttling().message
	case "internalServerException":
		e.message = "The system encountered an unexpected error during processing. Try your request again."
	case "serviceUnavailableException":
		e.message = "Bedrock is unable to process your request."
	case "validationException":
		e.message = "Simulated validation failure."
	default:
		return nil, false
	}
	return e, true
}

// parseDirectives reads the markers in text and returns them with the text
// stripped of markers.
func parseDirectives(text string) (directives, string, *apiError) {
	d := directives{streamErrorAfter: -1, corruptAfter: -1, streamException: "modelStreamErrorException"}
	var plain strings.Builder
	rest := text
	for {
		before, after, found := strings.Cut(rest, markerOpen)
		plain.WriteString(before)
		if !found {
			break
		}
		if strings.HasPrefix(after, "tool=") {
			// Its arguments are JSON, which may hold ']' of its own.
			tail, err := d.setTool(after)
			if err != nil {
				return d, "", err
			}
			rest = tail
			continue
		}
		body, tail, closed := strings.Cut(after, "]")
		if !closed {
			return d, "", validationError("simulator marker %q is not closed with ']'", markerOpen+after)
		}
		name, value, hasValue := strings.Cut(body, "=")
		if err := d.set(name, value, hasValue); err != nil {
			return d, "", err
		}
		rest = tail
	}
	return d, plain.String(), nil
}

func (d *directives) set(name, value string, hasValue bool) *apiError {
	bad := func(want string) *apiError {
		return validationError("simulator marker [sim:%s=%s]: want %s", name, value, want)
	}
	noValue := func() *apiError {
		if hasValue {
			return validationError("simulator marker [sim:%s] takes no value", name)
		}
		return nil
	}
	count := func() (int, *apiError) {
		n, err := strconv.Atoi(value)
		if !hasValue || err != nil || n < 0 {
			return 0, bad("a count")
		}
		return n, nil
	}
	duration := func() (time.Duration, *apiError) {
		v, err := time.ParseDuration(value)
		if !hasValue || err != nil || v < 0 {
			return 0, bad("a duration such as 200ms")
		}
		return v, nil
	}
	var err *apiError
	switch name {
	case "echo":
		d.echo, err = true, noValue()
	case "reply":
		d.reply, d.hasReply = value, true
	case "throttle":
		if !hasValue {
			d.throttle = true
			break
		}
		d.throttleFirst, err = count()
	case "error":
		status, convErr := strconv.Atoi(value)
		if _, ok := faultError(status); convErr != nil || !ok {
			return bad("one of 400, 403, 404, 408, 424, 429, 500, 503")
		}
		d.errorStatus = status
	case "not-ready":
		d.notReady, err = true, noValue()
	case "timeout":
		d.timeout, err = true, noValue()
	case "drop":
		d.drop, err = true, noValue()
	case "hang":
		d.hang, err = true, noValue()
	case "truncate":
		d.truncate, err = true, noValue()
	case "not-json":
		d.notJSON, err = true, noValue()
	case "huge":
		n, cerr := strconv.Atoi(value)
		if !hasValue || cerr != nil || n < 1 || n > 1<<30 {
			return bad("a size in bytes from 1 to 1073741824")
		}
		// An answer of n bytes: what a misbehaving upstream could send.
		d.reply, d.hasReply = strings.Repeat("x", n), true
	case "latency":
		d.latency, err = duration()
	case "token-delay":
		d.tokenDelay, err = duration()
	case "stream-error-after":
		d.streamErrorAfter, err = count()
	case "stream-exception":
		if _, ok := streamException(value); !ok {
			return bad("modelStreamErrorException, throttlingException, internalServerException, serviceUnavailableException or validationException")
		}
		d.streamException = value
	case "corrupt-frame":
		d.corruptAfter = 1
		if hasValue {
			d.corruptAfter, err = count()
		}
	case "describe":
		d.describe, err = true, noValue()
	case "served-tier":
		if !slices.Contains(serviceTiers, value) {
			return bad(strings.Join(serviceTiers, ", "))
		}
		d.servedTier = value
	case "guardrail":
		d.guardrail, d.guardrailDefault = stopGuardrail, !hasValue
		if hasValue {
			if value == "" {
				return bad("a stop reason")
			}
			d.guardrail = value
		}
	default:
		return validationError("unknown simulator marker [sim:%s]", name)
	}
	return err
}

// setTool reads a tool marker from s, the text after "[sim:", and returns
// the text after the marker's closing ']'.
func (d *directives) setTool(s string) (string, *apiError) {
	body := strings.TrimPrefix(s, "tool=")
	end := strings.IndexAny(body, ":]")
	if end < 0 {
		return "", validationError("simulator marker %q is not closed with ']'", markerOpen+s)
	}
	name := body[:end]
	if name == "" {
		return "", validationError("simulator marker [sim:tool=]: want a tool name")
	}
	m := toolMarker{name: name}
	rest := body[end:]
	if rest[0] == ':' {
		dec := json.NewDecoder(strings.NewReader(rest[1:]))
		var args map[string]json.RawMessage
		if err := dec.Decode(&args); err != nil || args == nil {
			return "", validationError("simulator marker [sim:tool=%s:…]: want a JSON object of arguments after the ':'", name)
		}
		raw := []byte(rest[1 : 1+dec.InputOffset()])
		m.args = canonicalJSON(bytes.TrimSpace(raw))
		rest = rest[1+dec.InputOffset():]
		if !strings.HasPrefix(rest, "]") {
			return "", validationError("simulator marker [sim:tool=%s:…] is not closed with ']' after its arguments", name)
		}
	}
	d.tools = append(d.tools, m)
	return rest[1:], nil
}

// fault returns the error these directives ask for, if any; throttled
// reports whether a throttle=N count applies to this call.
func (d *directives) fault(throttled bool) *apiError {
	switch {
	case d.throttle || throttled:
		return throttling()
	case d.errorStatus != 0:
		e, _ := faultError(d.errorStatus)
		return e
	case d.notReady:
		return modelNotReady()
	case d.timeout:
		return modelTimeout()
	}
	return nil
}
