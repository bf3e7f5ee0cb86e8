package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// The clients here are deliberately minimal: they frame JSON-RPC and find
// the answer to each call, nothing more, so that what is measured is the
// server and the transport rather than a client library.

// protocolVersion is the MCP version the clients ask for.
const protocolVersion = "2025-11-25"

// mcpClient calls an MCP server.
type mcpClient interface {
	call(ctx context.Context, method string, params []byte) (json.RawMessage, error)
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("json-rpc error %d: %s", e.Code, e.Message) }

// rpcMessage is what a client reads of a message from the server.
type rpcMessage struct {
	ID     *int64          `json:"id"`
	Method string          `json:"method"`
	Error  *rpcError       `json:"error"`
	Result json.RawMessage `json:"result"`
}

func appendRequest(b []byte, id int64, method string, params []byte) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"method":"`...)
	b = append(b, method...)
	b = append(b, `","params":`...)
	b = append(b, params...)
	return append(b, '}')
}

func appendNotification(b []byte, method string, params []byte) []byte {
	b = append(b, `{"jsonrpc":"2.0","method":"`...)
	b = append(b, method...)
	b = append(b, `","params":`...)
	b = append(b, params...)
	return append(b, '}')
}

var initializeParams = []byte(`{"protocolVersion":"` + protocolVersion + `","capabilities":{},"clientInfo":{"name":"llm-gateway-bench","version":"1"}}`)

// stdioClient speaks MCP's stdio framing (one JSON message per line) over a
// child's stdin and stdout. Calls may be concurrent.
type stdioClient struct {
	w    io.Writer
	wmu  sync.Mutex
	next atomic.Int64

	mu      sync.Mutex
	pending map[int64]chan rpcMessage
	err     error // why the reader stopped
}

func newStdioClient(r io.Reader, w io.Writer) *stdioClient {
	c := &stdioClient{w: w, pending: make(map[int64]chan rpcMessage)}
	go c.read(r)
	return c
}

func (c *stdioClient) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	var err error
	for {
		var line []byte
		line, err = br.ReadBytes('\n')
		if err != nil {
			break
		}
		var m rpcMessage
		if err = json.Unmarshal(line, &m); err != nil {
			err = fmt.Errorf("bad message from server %.200q: %w", line, err)
			break
		}
		if m.ID == nil || m.Method != "" {
			continue // a notification or a request from the server: not an answer
		}
		c.mu.Lock()
		ch := c.pending[*m.ID]
		delete(c.pending, *m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	c.mu.Lock()
	c.err = fmt.Errorf("server output: %w", err)
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

func (c *stdioClient) call(ctx context.Context, method string, params []byte) (json.RawMessage, error) {
	id := c.next.Add(1)
	ch := make(chan rpcMessage, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, c.err
	}
	c.pending[id] = ch
	c.mu.Unlock()
	msg := append(appendRequest(make([]byte, 0, 128+len(params)), id, method, params), '\n')
	c.wmu.Lock()
	_, err := c.w.Write(msg)
	c.wmu.Unlock()
	if err != nil {
		c.forget(id)
		return nil, fmt.Errorf("write %s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			c.mu.Lock()
			defer c.mu.Unlock()
			return nil, c.err
		}
		if m.Error != nil {
			return nil, m.Error
		}
		return m.Result, nil
	case <-ctx.Done():
		c.forget(id)
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (c *stdioClient) forget(id int64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

func (c *stdioClient) notify(method string, params []byte) error {
	msg := append(appendNotification(nil, method, params), '\n')
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.w.Write(msg); err != nil {
		return fmt.Errorf("write %s: %w", method, err)
	}
	return nil
}

// initialize performs the MCP handshake.
func (c *stdioClient) initialize(ctx context.Context) error {
	if _, err := c.call(ctx, "initialize", initializeParams); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	return c.notify("notifications/initialized", []byte("{}"))
}

// httpClient is one Streamable HTTP session: POSTs of JSON-RPC messages,
// answers as JSON or as a short event stream.
type httpClient struct {
	client  *http.Client
	url     string
	session string // Mcp-Session-Id
	next    atomic.Int64
}

func (c *httpClient) initialize(ctx context.Context) error {
	if _, err := c.call(ctx, "initialize", initializeParams); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	_, err := c.post(ctx, appendNotification(nil, "notifications/initialized", []byte("{}")), -1)
	return err
}

func (c *httpClient) call(ctx context.Context, method string, params []byte) (json.RawMessage, error) {
	id := c.next.Add(1)
	return c.post(ctx, appendRequest(make([]byte, 0, 128+len(params)), id, method, params), id)
}

// post sends one message; id < 0 means a notification (no answer).
func (c *httpClient) post(ctx context.Context, body []byte, id int64) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+benchAPIKey)
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
		req.Header.Set("Mcp-Protocol-Version", protocolVersion)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("http %s: %.300s", resp.Status, bytes.TrimSpace(data))
	}
	if s := resp.Header.Get("Mcp-Session-Id"); s != "" {
		c.session = s
	}
	if id < 0 {
		return nil, nil
	}
	return findAnswer(resp.Header.Get("Content-Type"), data, id)
}

// findAnswer picks the answer to id from a JSON body or an event stream.
func findAnswer(contentType string, data []byte, id int64) (json.RawMessage, error) {
	var candidates [][]byte
	if bytes.HasPrefix([]byte(contentType), []byte("text/event-stream")) {
		for line := range bytes.Lines(data) {
			if v, ok := bytes.CutPrefix(line, []byte("data:")); ok {
				candidates = append(candidates, bytes.TrimSpace(v))
			}
		}
	} else {
		candidates = append(candidates, data)
	}
	for _, c := range candidates {
		var m rpcMessage
		if err := json.Unmarshal(c, &m); err != nil {
			return nil, fmt.Errorf("bad message %.200q: %w", c, err)
		}
		if m.ID == nil || *m.ID != id || m.Method != "" {
			continue
		}
		if m.Error != nil {
			return nil, m.Error
		}
		return m.Result, nil
	}
	return nil, fmt.Errorf("no answer to request %d in %.300q", id, data)
}

// toolCall calls a tool (params is the whole tools/call params object) and
// reports whether a generate answer came from the cache. A tool error is an
// error.
func toolCall(ctx context.Context, c mcpClient, params []byte) (cached bool, err error) {
	raw, err := c.call(ctx, "tools/call", params)
	if err != nil {
		return false, err
	}
	var res struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
		StructuredContent struct {
			Cached bool `json:"cached"`
		} `json:"structuredContent"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return false, fmt.Errorf("tool result: %w", err)
	}
	if res.IsError {
		msg := "tool error"
		if len(res.Content) > 0 {
			msg += ": " + res.Content[0].Text
		}
		return false, errors.New(msg)
	}
	return res.StructuredContent.Cached, nil
}
