package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
)

// encodingJSON is what encoding/json writes for v with HTML unescaped, as
// the APIs answered before they wrote their own JSON.
func encodingJSON(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// trickyStrings are texts whose JSON form differs from their bytes.
var trickyStrings = []string{
	"", "plain", `quote " and backslash \`, "<b>&amp;</b>", "line\nfeed\ttab\rreturn\bback\fform",
	"\x00\x01\x1f\x7f", "ünïcödé ✓ 日本語 🙂", "sep\u2028par\u2029end", "bad \xff\xfe utf-8 \xc3", "\xe2\x80", "\xe2\x80\xa8",
}

// trickyFloats are numbers whose JSON form encoding/json chooses with care.
var trickyFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 0.000002, 1e-6, 9.99e-7, 1.5e-7, 2.5e-12, 123.456,
	1e20, 1e21, 1.5e21, 1e300, 5e-324, 0.1 + 0.2, 12345678.9, 0.000123}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	check := func(s string) {
		if got, want := string(AppendString(nil, s)), encodingJSON(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
		want, _ := json.Marshal(s) // HTML escaped, as json.Marshal writes it
		if got := string(AppendStringEscapeHTML(nil, s)); got != string(want) {
			t.Errorf("AppendStringEscapeHTML(%q) = %s, want %s", s, got, want)
		}
	}
	for _, s := range trickyStrings {
		check(s)
	}
	// Random bytes, runes and mixtures, from a fixed seed.
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			switch r.IntN(3) {
			case 0:
				b[i] = byte(r.IntN(0x80))
			case 1:
				b[i] = byte(r.IntN(0x100))
			default:
				b[i] = "\"\\\n\xe2\x80\xa8\xa9"[r.IntN(7)]
			}
		}
		check(string(b))
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendString(nil, s)), encodingJSON(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	check := func(f float64) {
		got, err := AppendFloat(nil, f)
		if want := encodingJSON(t, f); err != nil || string(got) != want {
			t.Errorf("AppendFloat(%v) = %s, %v; want %s", f, got, err, want)
		}
	}
	for _, f := range trickyFloats {
		check(f)
		check(-f)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		check(math.Float64frombits(r.Uint64()) / 1) // any finite bit pattern
		check(float64(r.Int64N(1e9)) / 1e12)        // dollar amounts from pico-dollars
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendFloat(nil, f); err == nil {
			t.Errorf("AppendFloat(%v): no error; encoding/json refuses it", f)
		}
	}
}

// appender writes a fixed text, or fails as an Appender may.
type appender struct {
	text string
	err  error
}

func (a appender) AppendJSON(b []byte) ([]byte, error) { return append(b, a.text...), a.err }

func TestWriteJSON(t *testing.T) {
	const fallback = `{"error":"internal"}`
	for _, tc := range []struct {
		name   string
		v      any
		status int
		body   string
	}{
		{"appender", appender{text: `{"a":1}`}, 200, `{"a":1}` + "\n"},
		{"appender leaving it to encoding/json", struct {
			appender
			B string `json:"b"`
		}{appender{err: ErrReflect}, "<x>"}, 200, `{"b":"<x>"}` + "\n"},
		{"appender failing", appender{text: `{"a":`, err: errNotFinite}, 500, fallback + "\n"},
		{"reflection", map[string]string{"k": "<v>"}, 200, `{"k":"<v>"}` + "\n"},
		{"reflection failing", math.NaN(), 500, fallback + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // the second time with a buffer from the pool
				w := httptest.NewRecorder()
				WriteJSON(w, 200, tc.v, fallback)
				if w.Code != tc.status || w.Body.String() != tc.body || w.Header().Get("Content-Type") != "application/json" {
					t.Errorf("WriteJSON = %d %q (%s), want %d %q", w.Code, w.Body, w.Header().Get("Content-Type"), tc.status, tc.body)
				}
			}
		})
	}
}
