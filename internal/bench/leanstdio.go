package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// leanStdio is an experiment the harness measures beside the SDK's
// mcp.IOTransport: MCP's stdio framing written against the SDK's public
// Transport and Connection interfaces. Profiles show that most of a stdio
// call's allocations are the SDK's JSON decoders, one per Unmarshal, each
// with a fresh 32 KiB buffer, five per tools/call. This connection decodes
// each incoming request once with encoding/json (the SDK's readBatch first
// tries to decode every message as a batch, then decodes it again, and its
// method name a third time), and writes an answer around its result, which
// the SDK has just encoded, instead of encoding and compacting it again.
// JSON-RPC batches, gone from the protocol since 2025-06-18, are refused.
type leanStdio struct {
	r io.Reader
	w io.Writer
}

var _ mcp.Transport = (*leanStdio)(nil)

func (t *leanStdio) Connect(context.Context) (mcp.Connection, error) {
	c := &leanConn{w: t.w, incoming: make(chan lineOrErr), closed: make(chan struct{})}
	go c.readLines(t.r)
	return c, nil
}

type lineOrErr struct {
	line []byte
	err  error
}

type leanConn struct {
	wmu      sync.Mutex
	w        io.Writer
	buf      []byte // the answer being written; guarded by wmu
	incoming chan lineOrErr
	closed   chan struct{}
	once     sync.Once
}

// readLines reads in its own goroutine, as the SDK's transport does, so
// that Close can unblock a Read waiting on stdin.
func (c *leanConn) readLines(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if err == nil && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		select {
		case c.incoming <- lineOrErr{line, err}:
		case <-c.closed:
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *leanConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.closed:
		return nil, io.EOF
	case v := <-c.incoming:
		if v.err != nil && len(bytes.TrimSpace(v.line)) == 0 {
			return nil, v.err
		}
		return decodeMessage(v.line)
	}
}

// decodeMessage decodes a request in one pass; anything else (an answer to
// a request the server made) goes to the SDK's decoder.
func decodeMessage(line []byte) (jsonrpc.Message, error) {
	var w struct {
		Version string          `json:"jsonrpc"`
		ID      any             `json:"id"`
		Method  *string         `json:"method"`
		Params  json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(line, &w); err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	if w.Method == nil {
		return jsonrpc.DecodeMessage(line)
	}
	if w.Version != "2.0" {
		return nil, fmt.Errorf("decode message: jsonrpc version %q, want \"2.0\"", w.Version)
	}
	id, err := jsonrpc.MakeID(w.ID)
	if err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	return &jsonrpc.Request{ID: id, Method: *w.Method, Params: w.Params}, nil
}

func (c *leanConn) Write(_ context.Context, msg jsonrpc.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	select {
	case <-c.closed:
		return mcp.ErrConnectionClosed
	default:
	}
	c.buf = c.buf[:0]
	if r, ok := msg.(*jsonrpc.Response); ok && r.Error == nil && len(r.Result) > 0 {
		// The SDK encoded Result with encoding/json a moment ago: it is
		// valid and compact, so it is written as it is.
		c.buf = append(c.buf, `{"jsonrpc":"2.0","id":`...)
		switch id := r.ID.Raw().(type) {
		case int64:
			c.buf = strconv.AppendInt(c.buf, id, 10)
		default:
			b, err := json.Marshal(id)
			if err != nil {
				return fmt.Errorf("encode id: %w", err)
			}
			c.buf = append(c.buf, b...)
		}
		c.buf = append(c.buf, `,"result":`...)
		c.buf = append(c.buf, r.Result...)
		c.buf = append(c.buf, '}')
	} else {
		b, err := jsonrpc.EncodeMessage(msg)
		if err != nil {
			return err
		}
		c.buf = append(c.buf, b...)
	}
	c.buf = append(c.buf, '\n')
	if _, err := c.w.Write(c.buf); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	return nil
}

func (c *leanConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *leanConn) SessionID() string { return "" }
