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
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
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
// child's stdin and stdout. A call writes its request and reads lines until
// its answer, in the calling goroutine: no hand-off between goroutines is
// measured. Calls are serialised.
type stdioClient struct {
	mu   sync.Mutex
	w    io.Writer
	r    *bufio.Reader
	src  io.Reader
	next int64
	buf  []byte
}

func newStdioClient(r io.Reader, w io.Writer) *stdioClient {
	return &stdioClient{w: w, r: bufio.NewReaderSize(r, 1<<20), src: r}
}

// deadliner is an *os.File pipe: a read can be given a deadline.
type deadliner interface{ SetReadDeadline(time.Time) error }

func (c *stdioClient) call(ctx context.Context, method string, params []byte) (json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	id := c.next
	c.buf = append(appendRequest(c.buf[:0], id, method, params), '\n')
	if _, err := c.w.Write(c.buf); err != nil {
		return nil, fmt.Errorf("write %s: %w", method, err)
	}
	if d, ok := c.src.(deadliner); ok {
		deadline, has := ctx.Deadline()
		if !has {
			deadline = time.Now().Add(callTimeout)
		}
		_ = d.SetReadDeadline(deadline)
	}
	for {
		line, err := c.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// An answer longer than the buffer: read the rest of it.
			rest, rerr := c.r.ReadBytes('\n')
			line, err = append(slices.Clone(line), rest...), rerr
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("%s: server output: %w", method, err)
		}
		got, result, err := parseAnswer(line)
		if err != nil {
			return nil, err
		}
		if got == id {
			// The line is reused by the next read: keep a copy.
			return slices.Clone(result), nil
		}
	}
}

func (c *stdioClient) notify(method string, params []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg := append(appendNotification(nil, method, params), '\n')
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

// answerPrefix is how the SDK begins every answer it writes: its encoder
// writes the fields in this order. parseAnswer reads such a line without
// decoding it, so that the client's own cost does not grow with the size
// of the answer it measures.
var answerPrefix = []byte(`{"jsonrpc":"2.0","id":`)

// parseAnswer returns the id and the result of an answer, or id 0 for a
// notification or a request from the server. A JSON-RPC error is an error.
func parseAnswer(msg []byte) (id int64, result []byte, err error) {
	msg = bytes.TrimRight(msg, "\r\n")
	if rest, ok := bytes.CutPrefix(msg, answerPrefix); ok {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if r, ok := bytes.CutPrefix(rest[i:], []byte(`,"result":`)); ok && i > 0 && bytes.HasSuffix(r, []byte("}")) {
			id, err := strconv.ParseInt(string(rest[:i]), 10, 64)
			if err == nil {
				return id, r[:len(r)-1], nil
			}
		}
	}
	// Anything else (an error, a notification) is decoded properly.
	var m rpcMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		return 0, nil, fmt.Errorf("bad message from server %.200q: %w", msg, err)
	}
	if m.ID == nil || m.Method != "" {
		return 0, nil, nil
	}
	if m.Error != nil {
		return *m.ID, nil, m.Error
	}
	return *m.ID, m.Result, nil
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
		got, result, err := parseAnswer(c)
		if got == id {
			return result, err
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no answer to request %d in %.300q", id, data)
}

// toolCall calls a tool (params is the whole tools/call params object) and
// reports whether a generate answer came from the cache. A tool error is an
// error. It looks for the two fields it needs rather than decoding the
// result: the client's cost should not depend on the answer's size.
func toolCall(ctx context.Context, c mcpClient, params []byte) (cached bool, err error) {
	raw, err := c.call(ctx, "tools/call", params)
	if err != nil {
		return false, err
	}
	if bytes.Contains(raw, []byte(`"isError":true`)) {
		var res struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		}
		msg := "tool error"
		if json.Unmarshal(raw, &res) == nil && len(res.Content) > 0 {
			msg += ": " + res.Content[0].Text
		}
		return false, errors.New(msg)
	}
	// In the structured content; the text copy has the quotes escaped.
	return bytes.Contains(raw, []byte(`"cached":true`)), nil
}
