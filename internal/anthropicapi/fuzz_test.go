package anthropicapi

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/httpapi"
	"github.com/llm-gateway/llm-gateway/internal/httpapi/decodetest"
)

// FuzzRequest feeds any body through decoding and mapping: neither may
// panic, and a body that maps must map to a request with messages or fail
// with an error the caller can read.
func FuzzRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		decodetest.SameAsEncodingJSON[MessagesRequest](t, body, false)
		var in MessagesRequest
		if err := httpapi.Decode(bytes.NewReader(body), &in); err != nil {
			if err.Error() == "" {
				t.Errorf("decode(%q) failed with an empty message", body)
			}
			return
		}
		req, err := toGateway(&in)
		if err != nil {
			if err.Error() == "" {
				t.Errorf("toGateway(%q) failed with an empty message", body)
			}
			return
		}
		if req == nil {
			t.Errorf("toGateway(%q) = nil, nil", body)
		}
	})
}
