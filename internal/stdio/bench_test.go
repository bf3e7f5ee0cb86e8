package stdio

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// benchToolCalls makes tools/call after tools/call of a no-op tool over a
// pipe, as an agent does over stdin and stdout: the cost of the transport
// and the SDK's call path, without a tool's own work.
func benchToolCalls(b *testing.B, transport func(r io.Reader, w io.Writer) mcp.Transport) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "noop", InputSchema: &jsonschema.Schema{Type: "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{}}, nil
		})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ss, err := srv.Connect(context.Background(), transport(inR, outW), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		inW.Close()
		ss.Close()
		outR.Close()
	}()
	out := bufio.NewReaderSize(outR, 64<<10)
	call := func(msg string) {
		if _, err := io.WriteString(inW, msg+"\n"); err != nil {
			b.Fatal(err)
		}
		if _, err := out.ReadSlice('\n'); err != nil {
			b.Fatal(err)
		}
	}
	call(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
	if _, err := io.WriteString(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		call(`{"jsonrpc":"2.0","id":` + strconv.Itoa(i) + `,"method":"tools/call","params":{"name":"noop","arguments":{}}}`)
	}
}

// BenchmarkToolCall is the transport under the gateway; BenchmarkToolCallSDK
// the SDK's own IOTransport, the floor `llm-gateway bench` compares with.
func BenchmarkToolCall(b *testing.B) {
	benchToolCalls(b, func(r io.Reader, w io.Writer) mcp.Transport { return New(r, w, Options{}) })
}

func BenchmarkToolCallSDK(b *testing.B) {
	benchToolCalls(b, func(r io.Reader, w io.Writer) mcp.Transport {
		return &mcp.IOTransport{Reader: io.NopCloser(r), Writer: nopCloser{w}}
	})
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
