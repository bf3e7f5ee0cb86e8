package stdio

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// FuzzLine sends whole raw lines, as an agent could, to an MCP server on
// this transport, then a ping: whatever the lines held, everything written
// back is JSON-RPC and the ping is answered. The corpus is in
// testdata/fuzz/FuzzLine; CI runs it for a bounded time (.ci/fuzz.sh).
func FuzzLine(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"x"}]`,
		`{"jsonrpc":"2.0","id":1,"result":{}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`,
		"\xff\xfe", `[`, `{}`, `[]`, `null`, `1e999`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		srv := mcp.NewServer(&mcp.Implementation{Name: "fuzz", Version: "1"}, nil)
		ss, err := srv.Connect(context.Background(), New(inR, outW, Options{MaxMessageBytes: 1 << 16}), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = inW.Close(); _ = inR.Close(); _ = ss.Close(); _ = ss.Wait() }()
		go func() {
			_, _ = io.WriteString(inW, input+"\n"+`{"jsonrpc":"2.0","id":"fuzz-ping","method":"ping"}`+"\n")
		}()
		out := bufio.NewReaderSize(outR, 1<<20)
		for {
			l, err := out.ReadString('\n')
			if err != nil {
				t.Fatalf("the session ended before the ping was answered: %v", err)
			}
			var a []answer
			if strings.HasPrefix(l, "[") {
				if err := json.Unmarshal([]byte(l), &a); err != nil {
					t.Fatalf("not a JSON-RPC batch answer: %v: %q", err, l)
				}
			} else {
				a = []answer{decodeAnswer(t, l)}
			}
			for _, m := range a {
				if m.Version != "2.0" {
					t.Fatalf("not JSON-RPC 2.0: %q", l)
				}
				if string(m.ID) == `"fuzz-ping"` && m.Error == nil {
					go func() { _, _ = io.Copy(io.Discard, out) }()
					return
				}
			}
		}
	})
}
