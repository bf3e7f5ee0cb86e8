package rpcwire

import (
	"encoding/json"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// TestAppendResultAsTheSDK: the bytes are jsonrpc.EncodeMessage's.
func TestAppendResultAsTheSDK(t *testing.T) {
	result := json.RawMessage(`{"content":[{"type":"text","text":"\u003cb\u003e \"q\" é"}],"structuredContent":{"a":[1,2.5,null]}}`)
	for _, raw := range []any{float64(7), float64(-1), "s-4", "<é\"\u2028&>\x01"} {
		id, err := jsonrpc.MakeID(raw)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jsonrpc.EncodeMessage(&jsonrpc.Response{ID: id, Result: result})
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendResult(nil, id, result); string(got) != string(want) {
			t.Errorf("id %v:\n got %s\nwant %s", raw, got, want)
		}
	}
}
