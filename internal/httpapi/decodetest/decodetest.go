// Package decodetest holds a fuzz check shared by the packages that decode
// requests with httpapi.Unmarshal: that it reads what encoding/json reads.
package decodetest

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// SameAsEncodingJSON checks that whenever httpapi.Unmarshal reads b into a
// T, encoding/json's Decoder reads it too (with DisallowUnknownFields and
// nothing but white space after the value if strict, as the MCP tools'
// arguments are read), into an equal T.
func SameAsEncodingJSON[T any](t *testing.T, b []byte, strict bool) {
	t.Helper()
	var fast T
	if !httpapi.Unmarshal(b, &fast, strict) {
		var zero T
		if diff := cmp.Diff(zero, fast); diff != "" {
			t.Errorf("Unmarshal(%q) refused it but left a value (-zero +left):\n%s", b, diff)
		}
		return
	}
	var std T
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&std); err != nil {
		t.Fatalf("Unmarshal(%q) read what encoding/json refuses: %v", b, err)
	}
	if strict {
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("Unmarshal(%q) read a text encoding/json finds more after: %v", b, err)
		}
	}
	if diff := cmp.Diff(std, fast); diff != "" {
		t.Errorf("Unmarshal(%q) differs from encoding/json (-encoding/json +Unmarshal):\n%s", b, diff)
	}
}
