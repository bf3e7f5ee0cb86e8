package bedrocksim

import (
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

	latency    time.Duration
	tokenDelay time.Duration

	streamErrorAfter int // -1: none
	streamException  string
	corruptAfter     int    // -1: none
	guardrail        string // stop reason, or "" for none
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
	case "guardrail":
		d.guardrail = "guardrail_intervened"
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
