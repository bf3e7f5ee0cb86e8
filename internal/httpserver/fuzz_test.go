package httpserver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// FuzzHTTPBody posts whole raw bodies, as any client could, to /mcp with
// sessions and without: no body gets a 5xx or a panic, and the server still
// answers a valid call after it. The corpus is in testdata/fuzz/FuzzHTTPBody;
// CI runs it for a bounded time (.ci/fuzz.sh).
func FuzzHTTPBody(f *testing.F) {
	for _, s := range []string{
		initializeBody,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, `[]`, `null`, `{}`, "\xff", `{"jsonrpc":"2.0","id":{},"method":"ping"}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`, strings.Repeat("[", 20000),
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	servers := map[bool]*Server{}
	for _, stateless := range []bool{false, true} {
		// Every initialize opens a session that stays: no cap in the way.
		s, err := New(Options{Server: newMCPServer(newTools()), Stateless: stateless, MaxBodyBytes: 64 << 10, MaxSessions: 1 << 30})
		if err != nil {
			f.Fatal(err)
		}
		servers[stateless] = s
	}
	f.Fuzz(func(t *testing.T, body string, stateless bool) {
		s := servers[stateless]
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		req = httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(initializeBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		rec = httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"protocolVersion"`) {
			t.Fatalf("initialize after %q: status %d: %s", body, rec.Code, rec.Body)
		}
	})
}

// FuzzDecodeCall: what the lane reads of a body is what the SDK reads
// (readBatch, jsonrpc.DecodeMessage), or nothing: every request decodeCall
// returns, the SDK decodes alike.
func FuzzDecodeCall(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"generate","arguments":{}}}`,
		` {"jsonrpc":"2.0","id":"a","method":"tools/call","params":{}} `,
		`{"jsonrpc":"2.0","id":2.7,"method":"tools/call","params":{}}`,
		`{"JSONRPC":"2.0","id":2,"method":"tools/call","params":{}}`,
		`{"jsonrpc":"2.0","ID":2,"Method":"tools/call","params":{}}`,
		`{"jsonrpc":"2.0","id":2,"id":3,"method":"tools/call","params":{}}`,
		`{"jsonrpc":"2.0","id":true,"method":"tools/call","params":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":5,"params":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{},"error":"x"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{}}{}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/\u0063all","params":{"name":"gen\xffrate"}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":null}`,
		`[{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{}}]`,
		`{"jsonrpc":"2.0","id":2,"result":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":` + strings.Repeat("[", 999) + strings.Repeat("]", 999) + `}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got := decodeCall([]byte(body))
		if got == nil {
			return
		}
		msg, err := jsonrpc.DecodeMessage(bytes.TrimSpace([]byte(body)))
		want, ok := msg.(*jsonrpc.Request)
		if err != nil || !ok {
			t.Fatalf("decodeCall(%q) = %+v; the SDK reads %v, %v", body, got, msg, err)
		}
		if got.ID != want.ID || got.Method != want.Method || !bytes.Equal(got.Params, want.Params) {
			t.Fatalf("decodeCall(%q) = %+v; the SDK reads %+v", body, got, want)
		}
	})
}
