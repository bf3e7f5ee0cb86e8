package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Appender is an answer that writes its own JSON, byte for byte what
// encoding/json (HTML left unescaped) writes for it, without reflection:
// the answers every call returns. It returns an error where encoding/json
// would fail (a NaN), or ErrReflect for a shape it leaves to encoding/json.
type Appender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// ErrReflect is returned by an Appender for a value it does not write
// itself; WriteJSON then encodes it with encoding/json.
var ErrReflect = errors.New("httpapi: encode with encoding/json")

// jsonBuffer is an answer's buffer and the encoder bound to it, reused
// from call to call.
type jsonBuffer struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonBuffers = sync.Pool{New: func() any {
	b := &jsonBuffer{}
	b.enc = json.NewEncoder(&b.buf)
	b.enc.SetEscapeHTML(false) // messages hold <key> and the like, readable as they are
	return b
}}

// maxPooledBuffer bounds the buffers kept for reuse: a long answer's is
// left to the collector rather than held by the pool.
const maxPooledBuffer = 64 << 10

// WriteJSON answers v as JSON, a line, with status. An Appender writes
// itself; anything else goes through encoding/json. A value that cannot be
// encoded (a bug) is answered 500 with fallback instead.
func WriteJSON(w http.ResponseWriter, status int, v any, fallback string) {
	jb := jsonBuffers.Get().(*jsonBuffer)
	defer func() {
		if jb.buf.Cap() <= maxPooledBuffer {
			jsonBuffers.Put(jb)
		}
	}()
	jb.buf.Reset()
	err := ErrReflect
	if a, ok := v.(Appender); ok {
		var b []byte
		if b, err = a.AppendJSON(jb.buf.AvailableBuffer()); err == nil {
			jb.buf.Write(append(b, '\n'))
		}
	}
	if errors.Is(err, ErrReflect) {
		err = jb.enc.Encode(v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		jb.buf.Reset()
		jb.buf.WriteString(fallback)
		jb.buf.WriteByte('\n')
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(jb.buf.Bytes())
}

// AppendString appends s as a JSON string, escaped as encoding/json
// escapes it with HTML left unescaped: control characters, quote and
// backslash, U+2028 and U+2029, and invalid UTF-8 as U+FFFD.
func AppendString(b []byte, s string) []byte { return appendString(b, s, false) }

// AppendStringEscapeHTML is AppendString with <, > and & escaped too, as
// json.Marshal writes strings (the MCP SDK's tool results are so written).
func AppendStringEscapeHTML(b []byte, s string) []byte { return appendString(b, s, true) }

func appendString(b []byte, s string, html bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// errNotFinite is what encoding/json refuses to encode.
var errNotFinite = errors.New("httpapi: a NaN or infinite number has no JSON form")

// AppendFloat appends f as encoding/json writes a float64: the shortest
// decimal that reads back as f, with an exponent only below 1e-6 and from
// 1e21 on.
func AppendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, errNotFinite
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-07 is written e-7, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// AppendFloatOrNull appends *f, or null when f is nil.
func AppendFloatOrNull(b []byte, f *float64) ([]byte, error) {
	if f == nil {
		return append(b, "null"...), nil
	}
	return AppendFloat(b, *f)
}

// AppendStringOrNull appends *s, or null when s is nil.
func AppendStringOrNull(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return AppendString(b, *s)
}
