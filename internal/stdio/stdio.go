// Package stdio is MCP's stdio transport (newline-delimited JSON-RPC over a
// reader and a writer) built for input nobody has checked. It implements the
// MCP Go SDK's public Transport and Connection interfaces.
//
// The SDK's own IOTransport ends the session at the first line it cannot
// decode, and with it every call in flight. Here a malformed line gets the
// JSON-RPC 2.0 error its §5 asks for (-32700 parse error, -32600 invalid
// request) and the session goes on; a line longer than MaxMessageBytes is
// skipped without being held in memory and refused the same way. Calls in
// flight are answered before the session ends, whether the client closes
// its end (EOF) or the server drains (Drain, on SIGTERM); calls still running
// when the drain's deadline passes get an error instead of silence.
//
// It is also lean (docs/BENCHMARKS.md, "gateway's stdio transport"; the
// benchmarks in bench_test.go): each line is decoded
// once with encoding/json, and a successful answer is written around the
// result the SDK has just encoded instead of being encoded again. A Lane
// (SetLane) may answer some calls itself, beside the SDK: mcpserver's
// answers generate so, with the same middleware and the same session.
package stdio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/rpcwire"
)

// DefaultMaxMessageBytes bounds one line when Options.MaxMessageBytes is
// zero: the same 4 MiB the HTTP transport allows for a request body.
const DefaultMaxMessageBytes = 4 << 20

// CodeShuttingDown is the JSON-RPC error code of a call the server gave up
// on because it is shutting down (the implementation-defined server-error
// range of JSON-RPC 2.0 §5.1).
const CodeShuttingDown = -32000

// CodeBusy is the JSON-RPC error code of a call refused because too many
// are in flight; sending it again later may succeed.
const CodeBusy = -32001

// Options configure a Transport; the zero value means the defaults.
type Options struct {
	// MaxMessageBytes bounds one incoming line (one message or one batch),
	// in bytes; a longer line is refused with -32600 and skipped. If zero,
	// DefaultMaxMessageBytes.
	MaxMessageBytes int
	// Setting names the setting that changes MaxMessageBytes, for the
	// refusal's message. If empty, "MaxMessageBytes".
	Setting string
	// MaxConcurrent caps the calls in flight; one more is answered at once
	// with a CodeBusy error naming ConcurrentSetting. If
	// zero, no cap.
	MaxConcurrent int
	// ConcurrentSetting names the setting that changes MaxConcurrent.
	ConcurrentSetting string
	// Logger receives a line per refused message (never its content). If
	// nil, nothing is logged.
	Logger *slog.Logger
}

// Transport serves one MCP session over r and w. Connect may be called once.
type Transport struct {
	r    io.Reader
	w    io.Writer
	opts Options

	mu   sync.Mutex
	conn *conn
}

// A Lane answers some calls beside the SDK (mcpserver.Lane does, for
// generate): given a call, it returns how to answer it, or nil to leave it
// to the SDK. run returns the call's result or the error to answer with;
// answer is false when no answer is due (the client cancelled the call).
type Lane func(req *jsonrpc.Request) (run func(ctx context.Context) (result json.RawMessage, err error, answer bool))

var _ mcp.Transport = (*Transport)(nil)

// New returns a transport that reads messages from r and writes them to w.
// Closing the connection does not close either: stdin and stdout belong to
// the process.
func New(r io.Reader, w io.Writer, opts Options) *Transport {
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.Setting == "" {
		opts.Setting = "MaxMessageBytes"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Transport{r: r, w: w, opts: opts}
}

// Connect implements mcp.Transport.
func (t *Transport) Connect(ctx context.Context) (mcp.Connection, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn != nil {
		return nil, errors.New("stdio: the transport is already connected")
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &conn{
		ctx:      ctx,
		cancel:   cancel,
		w:        t.w,
		opts:     t.opts,
		incoming: make(chan line),
		work:     make(chan laneWork),
		closed:   make(chan struct{}),
		draining: make(chan struct{}),
		drained:  make(chan struct{}),
		pending:  make(map[jsonrpc.ID]*batch),
	}
	t.conn = c
	go c.readLines(t.r)
	return c, nil
}

// SetLane makes l answer the calls it takes from now on; the others reach
// the SDK as before. A lane needs the session the SDK made on Connect,
// hence a setter: the calls read before it are all the SDK's.
func (t *Transport) SetLane(l Lane) {
	t.mu.Lock()
	c := t.conn
	t.mu.Unlock()
	if c != nil {
		c.lane.Store(&l)
	}
}

// Drain ends the session gracefully: no further message is read, the calls
// in flight are answered as they finish, and when ctx ends those still
// running are answered with a CodeShuttingDown error. The session then ends
// as if the client had closed its end. Drain returns once every call read
// has had its answer written (or the connection is closed).
func (t *Transport) Drain(ctx context.Context) {
	t.mu.Lock()
	c := t.conn
	t.mu.Unlock()
	if c == nil {
		return
	}
	c.drain(ctx)
}

// line is one incoming line, or how long a refused one was, or the error
// that ended reading.
type line struct {
	data    []byte
	tooLong int
	err     error
}

type conn struct {
	w    io.Writer
	opts Options

	// ctx is the lane's calls' context; Close cancels it, as the SDK
	// cancels its own calls when the connection closes.
	ctx    context.Context
	cancel context.CancelFunc
	lane   atomic.Pointer[Lane]
	// work hands a lane call to an idle worker (laneWorker); idleWorkers counts
	// them.
	work        chan laneWork
	idleWorkers atomic.Int32

	incoming chan line
	closed   chan struct{}
	close    sync.Once

	// queue holds the messages of a batch not yet returned by Read; only
	// Read touches it (the SDK reads from one goroutine).
	queue []jsonrpc.Message

	mu        sync.Mutex
	pending   map[jsonrpc.ID]*batch // calls read and not yet answered; nil: not in a batch
	cut       map[jsonrpc.ID]bool   // calls a drain answered with an error; their late answers are dropped
	idle      chan struct{}         // closed when pending empties; nil while nobody waits
	initID    *jsonrpc.ID           // the initialize call, until answered
	protocol  string                // the negotiated protocol version
	drainOnce sync.Once
	draining  chan struct{} // closed when Drain starts: read nothing more
	drained   chan struct{} // closed when Drain has answered every call

	wmu sync.Mutex
	buf []byte // the message being written; guarded by wmu
}

// readLines runs in its own goroutine, as in the SDK's transport, so that
// Close can unblock a Read waiting on stdin. A line is never held beyond
// MaxMessageBytes: the rest of a longer one is read and dropped.
func (c *conn) readLines(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	max := c.opts.MaxMessageBytes
	var cur []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(cur)+len(chunk) > max+2 { // +2: the line's own \r\n
			n := len(cur) + len(chunk)
			cur = nil
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice('\n')
				n += len(chunk)
			}
			if !c.send(line{tooLong: n}) {
				return
			}
		} else {
			// A fresh copy per line: the message handed to the SDK keeps
			// pointing into it.
			cur = append(cur, chunk...)
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if len(bytes.TrimSpace(cur)) > 0 && !c.send(line{data: cur}) {
				return
			}
			cur = nil
		}
		if err != nil {
			c.send(line{err: err})
			return
		}
	}
}

func (c *conn) send(l line) bool {
	select {
	case c.incoming <- l:
		return true
	case <-c.closed:
		return false
	}
}

// Read implements mcp.Connection. It returns only what the SDK can handle:
// every malformed line has been answered here. Its only errors are the end
// of the input (after the calls in flight are answered) and a closed
// connection.
func (c *conn) Read(ctx context.Context) (jsonrpc.Message, error) {
	for {
		if len(c.queue) > 0 {
			m := c.queue[0]
			c.queue = c.queue[1:]
			return m, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, io.EOF
		case <-c.draining:
			select {
			case <-c.drained:
			case <-c.closed:
			}
			return nil, io.EOF
		case l := <-c.incoming:
			switch {
			case l.err != nil:
				// The client closed its end: the calls it made are still
				// answered, as it may be reading until our end closes.
				c.waitIdle()
				if errors.Is(l.err, io.EOF) {
					return nil, io.EOF
				}
				return nil, fmt.Errorf("stdio: read: %w", l.err)
			case l.tooLong > 0:
				c.refuse(nil, jsonrpc.CodeInvalidRequest, fmt.Sprintf(
					"message of %d bytes is larger than %s (%d bytes); send a smaller message or raise the setting",
					l.tooLong, c.opts.Setting, c.opts.MaxMessageBytes))
			default:
				msgs := c.decodeLine(l.data)
				if len(msgs) == 1 && c.offer(msgs[0]) {
					continue
				}
				if len(msgs) > 0 {
					c.queue = msgs[1:]
					return msgs[0], nil
				}
			}
		}
	}
}

// offer hands a single call to the lane, if there is one and it takes it,
// and reports whether it did. (Calls in a batch stay the SDK's: batches
// belong to protocol versions before 2025-06-18.)
func (c *conn) offer(msg jsonrpc.Message) bool {
	lane := c.lane.Load()
	req, ok := msg.(*jsonrpc.Request)
	if lane == nil || !ok || !req.IsCall() {
		return false
	}
	run := (*lane)(req)
	if run == nil {
		return false
	}
	w := laneWork{id: req.ID, run: run}
	select {
	case c.work <- w:
	default:
		go c.laneWorker(w)
	}
	return true
}

// laneWork is one call the lane took, for a worker to run.
type laneWork struct {
	id  jsonrpc.ID
	run func(context.Context) (json.RawMessage, error, bool)
}

// maxIdleWorkers bounds the lane's workers kept waiting for a call.
const maxIdleWorkers = 8

// laneWorker runs lane calls: w, then each one offer hands it while it
// waits, until more than maxIdleWorkers wait or the connection closes.
// Why workers, not a goroutine per call: a call's stack grows to tens of
// KiB (the middleware, the gateway, JSON), and a fresh goroutine's would be
// grown and copied again on every call; a worker keeps it (the CPU profile
// of a stdio cache hit spent 17% in runtime.copystack before).
func (c *conn) laneWorker(w laneWork) {
	for {
		c.runLane(w.id, w.run)
		if c.idleWorkers.Add(1) > maxIdleWorkers {
			c.idleWorkers.Add(-1)
			return
		}
		select {
		case w = <-c.work:
			c.idleWorkers.Add(-1)
		case <-c.closed:
			c.idleWorkers.Add(-1)
			return
		}
	}
}

// runLane answers a call the lane took, as Write answers the SDK's.
func (c *conn) runLane(id jsonrpc.ID, run func(context.Context) (json.RawMessage, error, bool)) {
	result, err, answer := run(c.ctx)
	if !answer {
		c.forget(id)
		return
	}
	var msg []byte
	if err != nil {
		msg = encodeResponse(&jsonrpc.Response{ID: id, Error: err})
	} else {
		msg = encodeResponse(&jsonrpc.Response{ID: id, Result: result})
	}
	if err := c.answer(id, msg); err != nil {
		c.opts.Logger.Warn("stdio: answer not written", "error", err)
	}
}

// forget drops a call that needs no answer from the calls in flight.
func (c *conn) forget(id jsonrpc.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[id]; ok {
		delete(c.pending, id)
		c.becameIdle()
	}
	delete(c.cut, id)
}

// waitIdle blocks until no call is in flight, a drain has answered them
// all, or the connection closes.
func (c *conn) waitIdle() {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	if c.idle == nil {
		c.idle = make(chan struct{})
	}
	idle := c.idle
	c.mu.Unlock()
	select {
	case <-idle:
	case <-c.drained:
	case <-c.closed:
	}
}

func (c *conn) drain(ctx context.Context) {
	c.drainOnce.Do(func() {
		close(c.draining)
		defer close(c.drained)
		c.mu.Lock()
		if len(c.pending) > 0 && c.idle == nil {
			c.idle = make(chan struct{})
		}
		idle := c.idle
		c.mu.Unlock()
		if idle != nil {
			select {
			case <-idle:
				return
			case <-c.closed:
				return
			case <-ctx.Done():
			}
		}
		// The calls still running are cut: each gets an error now, and the
		// answer its handler may write later is dropped (it is no longer
		// pending, and the connection will be closed).
		c.mu.Lock()
		ids := make([]jsonrpc.ID, 0, len(c.pending))
		for id := range c.pending {
			ids = append(ids, id)
		}
		c.mu.Unlock()
		c.mu.Lock()
		c.cut = make(map[jsonrpc.ID]bool, len(ids))
		for _, id := range ids {
			c.cut[id] = true
		}
		c.mu.Unlock()
		for _, id := range ids {
			msg := encodeError(id, CodeShuttingDown, "the gateway is shutting down and cut this call after its shutdown grace period; send it again")
			if err := c.answer(id, msg); err != nil {
				return
			}
		}
	})
	select {
	case <-c.drained:
	case <-c.closed:
	}
}

// Write implements mcp.Connection.
func (c *conn) Write(_ context.Context, msg jsonrpc.Message) error {
	select {
	case <-c.closed:
		return mcp.ErrConnectionClosed
	default:
	}
	resp, ok := msg.(*jsonrpc.Response)
	if !ok {
		b, err := jsonrpc.EncodeMessage(msg)
		if err != nil {
			return fmt.Errorf("stdio: encode: %w", err)
		}
		return c.writeLine(b)
	}
	c.noteProtocol(resp)
	return c.answer(resp.ID, encodeResponse(resp))
}

// encodeResponse writes a successful answer around its result, which the
// SDK has just encoded with encoding/json (valid and compact), instead of
// decoding and encoding it again as jsonrpc.EncodeMessage would.
func encodeResponse(r *jsonrpc.Response) []byte {
	if r.Error != nil || len(r.Result) == 0 {
		b, err := jsonrpc.EncodeMessage(r)
		if err != nil {
			return encodeError(r.ID, jsonrpc.CodeInternalError, "the answer could not be encoded: "+err.Error())
		}
		return b
	}
	return rpcwire.AppendResult(make([]byte, 0, len(r.Result)+48), r.ID, r.Result)
}

// encodeError is a JSON-RPC error response; a zero id is written as null,
// as §5 asks when the id could not be read.
func encodeError(id jsonrpc.ID, code int, message string) []byte {
	m, _ := json.Marshal(message) // a string always encodes
	b := make([]byte, 0, len(m)+80)
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = rpcwire.AppendID(b, id)
	b = append(b, `,"error":{"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"message":`...)
	b = append(b, m...)
	return append(b, "}}"...)
}

// answer writes the answer to call id: alone, or, if the call came in a
// batch, with the batch's other answers once the last one is in.
func (c *conn) answer(id jsonrpc.ID, msg []byte) error {
	c.mu.Lock()
	b, isPending := c.pending[id]
	if !isPending && c.cut[id] {
		delete(c.cut, id) // answered by the drain already
		c.mu.Unlock()
		return nil
	}
	if isPending {
		delete(c.pending, id)
		c.becameIdle()
	}
	var out []byte
	if b != nil {
		b.answers = append(b.answers, msg)
		b.waiting--
		if b.waiting > 0 {
			c.mu.Unlock()
			return nil
		}
		out = b.encode()
	}
	c.mu.Unlock()
	if out != nil {
		return c.writeLine(out)
	}
	return c.writeLine(msg)
}

// becameIdle wakes waitIdle and drain when the last call is answered; c.mu
// is held.
func (c *conn) becameIdle() {
	if len(c.pending) == 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
}

func (c *conn) writeLine(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.buf = append(append(c.buf[:0], b...), '\n')
	if _, err := c.w.Write(c.buf); err != nil {
		return fmt.Errorf("stdio: write: %w", err)
	}
	if cap(c.buf) > 64<<10 { // one huge answer does not stay allocated
		c.buf = nil
	}
	return nil
}

// refuse answers a line that is not a valid message and logs why, never
// what it held.
func (c *conn) refuse(id *jsonrpc.ID, code int, message string) {
	var rid jsonrpc.ID
	if id != nil {
		rid = *id
	}
	c.opts.Logger.Warn("stdio: message refused", "code", code, "reason", message)
	if err := c.writeLine(encodeError(rid, code, message)); err != nil {
		c.opts.Logger.Warn("stdio: refusal not written", "error", err)
	}
}

// Close implements mcp.Connection. It does not close the reader or the
// writer, which belong to the process.
func (c *conn) Close() error {
	c.close.Do(func() {
		close(c.closed)
		c.cancel()
	})
	return nil
}

// SessionID implements mcp.Connection: stdio has one session and no ID.
func (c *conn) SessionID() string { return "" }
