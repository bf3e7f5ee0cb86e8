// Package rpcwire writes JSON-RPC answers around a result already encoded,
// with the bytes the MCP SDK's jsonrpc.EncodeMessage writes, without
// decoding and encoding the result again as it would. The gateway's
// transports (stdio, and Streamable HTTP for the lane's answers) use it.
package rpcwire

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// AppendResult appends the successful answer to call id (a valid id):
// result must be valid, compact JSON (as encoding/json writes it).
func AppendResult(b []byte, id jsonrpc.ID, result json.RawMessage) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = AppendID(b, id)
	b = append(b, `,"result":`...)
	b = append(b, result...)
	return append(b, '}')
}

// AppendID appends id as the SDK writes it, a string without escaping
// HTML characters; a zero id as null (which the SDK would leave out).
func AppendID(b []byte, id jsonrpc.ID) []byte {
	switch v := id.Raw().(type) {
	case int64:
		return strconv.AppendInt(b, v, 10)
	case string:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // a string always encodes
		return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
	}
	return append(b, "null"...)
}
