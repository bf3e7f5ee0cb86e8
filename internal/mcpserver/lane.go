package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	segjson "github.com/segmentio/encoding/json"

	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// A Lane answers the gateway's hot call, tools/call of generate in a
// session that has finished initializing, beside the SDK rather than
// through it. Transports offer it each call before handing it to the SDK;
// the lane takes only calls it answers exactly as the SDK would, and
// leaves every other message (initialize, lists, get_stats, batches, the
// 2026-07-28 protocol's stateless calls, anything odd) to the SDK.
//
// Why: on a cache hit the SDK's JSON-RPC machinery costs several times the
// gateway's own work (docs/BENCHMARKS.md, issue 19): it decodes each
// message more than once with a fresh 32 KiB-buffered decoder, encodes the
// result through interface-typed content, and runs the call on a fresh
// goroutine behind two channels. The lane decodes the call once, runs the
// same receiving middleware (tracing, in-flight tracking) around the same
// generate handler with the same *mcp.ServerSession, and encodes the
// result's JSON once, carrying the same bytes as structured content and as
// text.
//
// The lane learns sessions from the SDK itself, through a receiving
// middleware: a session is the lane's once the SDK has handled its
// notifications/initialized, a notifications/cancelled the SDK receives
// cancels the lane's call of that id too, and the level a
// logging/setLevel set is kept for the transports that take a call's log
// notifications from the lane (TakeOptions.Notify).
type Lane struct {
	s *server

	mu       sync.Mutex
	handler  mcp.MethodHandler                   // the receiving middleware around generate
	sessions map[*mcp.ServerSession]*LaneSession // initialized or not (see LaneSession.ready)
	byID     map[string]*LaneSession             // sessions with an ID (HTTP)
}

// NewWithLane returns the MCP server New returns and its Lane.
func NewWithLane(opts Options) (*mcp.Server, *Lane) {
	srv, s := newServer(opts)
	l := &Lane{
		s:        s,
		sessions: make(map[*mcp.ServerSession]*LaneSession),
		byID:     make(map[string]*LaneSession),
	}
	l.handler = func(ctx context.Context, _ string, req mcp.Request) (mcp.Result, error) {
		return s.generate(ctx, req.(*mcp.CallToolRequest))
	}
	srv.AddReceivingMiddleware(l.learn)
	return srv, l
}

// AddReceivingMiddleware adds middleware to srv, the server NewWithLane
// returned with l, and to the lane, in the same order, so that a call runs
// through the same middleware whichever way it is answered.
func (l *Lane) AddReceivingMiddleware(srv *mcp.Server, middleware ...mcp.Middleware) {
	srv.AddReceivingMiddleware(middleware...)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range slices.Backward(middleware) {
		l.handler = m(l.handler)
	}
}

// Session returns the lane of an initialized session, or nil while it is
// not (yet) one: its calls are then the SDK's.
func (l *Lane) Session(ss *mcp.ServerSession) *LaneSession {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls := l.sessions[ss]; ls != nil && ls.ready {
		return ls
	}
	return nil
}

// For is what a stdio transport offers each call (stdio.Transport.SetLane
// takes it): the lane of ss's session, looked up per call, since the
// session becomes the lane's only once it has initialized.
func (l *Lane) For(ss *mcp.ServerSession) func(*jsonrpc.Request) func(context.Context) (json.RawMessage, error, bool) {
	return func(req *jsonrpc.Request) func(context.Context) (json.RawMessage, error, bool) {
		if call := l.Session(ss).Take(req, TakeOptions{}); call != nil {
			return call.Run
		}
		return nil
	}
}

// SessionByID is Session for a session known by its ID (Mcp-Session-Id).
func (l *Lane) SessionByID(id string) *LaneSession {
	if id == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls := l.byID[id]; ls != nil && ls.ready {
		return ls
	}
	return nil
}

// learn is the receiving middleware through which the lane follows the
// SDK's sessions.
func (l *Lane) learn(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		switch method {
		case "notifications/initialized":
			res, err := next(ctx, method, req)
			if ss, ok := req.GetSession().(*mcp.ServerSession); ok && ss != nil && ss.InitializeParams() != nil {
				ls := l.add(ss)
				l.mu.Lock()
				ls.ready = true
				l.mu.Unlock()
			}
			return res, err
		case "logging/setLevel":
			// The SDK keeps the level where only its own ss.Log reads it;
			// allowed before initialized too.
			res, err := next(ctx, method, req)
			p, ok := req.GetParams().(*mcp.SetLoggingLevelParams) //lint:ignore SA1019 see notify.go
			if ss, isSS := req.GetSession().(*mcp.ServerSession); err == nil && ok && p != nil && isSS && ss != nil {
				ls := l.add(ss)
				ls.mu.Lock()
				ls.level = p.Level
				ls.mu.Unlock()
			}
			return res, err
		case "notifications/cancelled":
			if p, ok := req.GetParams().(*mcp.CancelledParams); ok && p != nil {
				if ss, ok := req.GetSession().(*mcp.ServerSession); ok && ss != nil {
					if ls := l.Session(ss); ls != nil {
						ls.cancel(p.RequestID)
					}
				}
			}
		}
		return next(ctx, method, req)
	}
}

// add returns the lane of ss, made on first sight.
func (l *Lane) add(ss *mcp.ServerSession) *LaneSession {
	l.mu.Lock()
	if ls, ok := l.sessions[ss]; ok {
		l.mu.Unlock()
		return ls
	}
	ls := &LaneSession{l: l, ss: ss, calls: make(map[jsonrpc.ID]*laneCallState)}
	l.sessions[ss] = ls
	if id := ss.ID(); id != "" {
		l.byID[id] = ls
	}
	l.mu.Unlock()
	// Forget the session when the SDK ends it; until then a lookup by its
	// ID finds it.
	go func() {
		_ = ss.Wait()
		l.mu.Lock()
		delete(l.sessions, ss)
		if id := ss.ID(); id != "" && l.byID[id] == ls {
			delete(l.byID, id)
		}
		l.mu.Unlock()
	}()
	return ls
}

// LaneSession is the lane of one initialized session.
type LaneSession struct {
	l     *Lane
	ss    *mcp.ServerSession
	ready bool // initialized: the lane takes its calls (guarded by l.mu)

	mu    sync.Mutex
	calls map[jsonrpc.ID]*laneCallState // the lane's calls in flight, by id
	level mcp.LoggingLevel              //lint:ignore SA1019 see notify.go. Set by logging/setLevel; "" sends no log notifications.
}

type laneCallState struct {
	cancel    context.CancelFunc
	cancelled bool // by the client: no answer is due
}

// TakeOptions say what the transport can carry besides the answer.
type TakeOptions struct {
	// NoNotifications is set by a transport that could not send a call's
	// notifications (progress) on the call's own stream; the lane then
	// leaves calls that ask for progress to the SDK.
	NoNotifications bool
	// Notify, if set, is handed the call's log notifications
	// (notifications/message: fallback and lifecycle notices), encoded as
	// the SDK sends them and only at or above the session's
	// logging/setLevel level, while Run runs, instead of the session's
	// Log. For transports whose SDK session would route a notification to
	// the call's own stream only by the SDK's request id, which a lane
	// call has not (Streamable HTTP); without it the session's Log sends
	// them, as over stdio.
	Notify func(msg []byte)
	// Extra is what the SDK's transport attaches to a request (HTTP: the
	// token and the headers), handed on to the middleware and the handler.
	Extra *mcp.RequestExtra
}

// Take returns the call if the lane answers req, or nil if the SDK should.
// A transport that gets a call must Run it and answer it (or not, if Run
// says the client cancelled it), exactly once.
func (ls *LaneSession) Take(req *jsonrpc.Request, opts TakeOptions) *LaneCall {
	if ls == nil || req == nil || req.Method != "tools/call" || !req.ID.IsValid() || len(req.Params) == 0 || MayNestTooDeep(req.Params) {
		return nil
	}
	// Decoded as the SDK decodes it, with its JSON package and member
	// names matched exactly, so that the lane reads what the SDK would.
	p := new(mcp.CallToolParamsRaw)
	if _, err := segjson.Parse(req.Params, p, segjson.DontMatchCaseInsensitiveStructFields); err != nil || p.Name != "generate" {
		return nil // the SDK answers what the lane would have to answer with an error
	}
	if _, ok := p.Meta[mcp.MetaKeyProtocolVersion]; ok || p.InputResponses != nil || p.RequestState != "" {
		return nil // the 2026-07-28 protocol's per-call metadata and retries are the SDK's
	}
	if _, ok := p.Meta["progressToken"]; ok && opts.NoNotifications {
		return nil
	}
	state := &laneCallState{}
	ls.mu.Lock()
	if _, dup := ls.calls[req.ID]; dup {
		ls.mu.Unlock()
		return nil // the SDK refuses a second call with an id in flight
	}
	ls.calls[req.ID] = state
	ls.mu.Unlock()
	return &LaneCall{ls: ls, id: req.ID, state: state, notify: opts.Notify,
		req: &mcp.CallToolRequest{Session: ls.ss, Params: p, Extra: opts.Extra}}
}

// maxDepth is the nesting the SDK's JSON decoding accepts (1000); deeper
// messages it refuses.
const maxDepth = 1000

// MayNestTooDeep reports whether JSON text b might nest deeper than the
// SDK accepts. It counts every bracket that opens an array or object,
// in strings too: more than the depth can be, never fewer, so that the
// lane leaves to the SDK every message it would refuse, at the cost of
// a rare one it would not.
func MayNestTooDeep(b []byte) bool {
	return bytes.Count(b, []byte("{"))+bytes.Count(b, []byte("[")) > maxDepth
}

// cancel cancels the lane's call id, as the client asked.
func (ls *LaneSession) cancel(rawID any) {
	id, err := jsonrpc.MakeID(rawID)
	if err != nil {
		return
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if c, ok := ls.calls[id]; ok {
		c.cancelled = true
		if c.cancel != nil {
			c.cancel()
		}
	}
}

// LaneCall is one call the lane took.
type LaneCall struct {
	ls    *LaneSession
	id    jsonrpc.ID
	state *laneCallState
	req   *mcp.CallToolRequest

	notifyMu sync.Mutex
	notify   func(msg []byte) // TakeOptions.Notify; nil once Run returns
}

// laneCallKey carries, in a call's context, the LaneCall whose
// TakeOptions.Notify takes its log notifications.
type laneCallKey struct{}

// Run answers the call: the JSON of its result, or the error to answer
// with instead (as the SDK would: a *jsonrpc.Error keeps its code). answer
// is false when the client cancelled the call: then, as with the SDK, no
// answer is due.
func (c *LaneCall) Run(ctx context.Context) (result json.RawMessage, err error, answer bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ls := c.ls
	ls.mu.Lock()
	c.state.cancel = cancel
	if c.state.cancelled {
		cancel()
	}
	ls.mu.Unlock()
	ls.l.mu.Lock()
	h := ls.l.handler
	ls.l.mu.Unlock()
	if c.notify != nil {
		ctx = context.WithValue(ctx, laneCallKey{}, c)
	}

	res, err := h(ctx, "tools/call", c.req)
	if c.notify != nil {
		// As with the SDK, a notification the call makes after its answer
		// has no stream to go to.
		c.notifyMu.Lock()
		c.notify = nil
		c.notifyMu.Unlock()
	}

	ls.mu.Lock()
	cancelled := c.state.cancelled
	delete(ls.calls, c.id)
	ls.mu.Unlock()
	if cancelled {
		return nil, nil, false
	}
	if err != nil {
		return nil, err, true
	}
	b, err := encodeResult(res)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: err.Error()}, true
	}
	return b, nil, true
}

// encodeResult encodes a tool's result as the SDK would. The common one,
// made by structured, is written around the bytes it already holds: the
// structured content as is and, once escaped, as the text block.
func encodeResult(res mcp.Result) ([]byte, error) {
	r, ok := res.(*mcp.CallToolResult)
	if !ok || r == nil {
		return nil, errors.New("mcpserver: the lane's handler returned no tool result")
	}
	if raw, text, ok := plainStructured(r); ok {
		b := make([]byte, 0, 2*len(raw)+64)
		b = append(b, `{"content":[{"type":"text","text":`...)
		b = httpapi.AppendStringEscapeHTML(b, text)
		b = append(b, `}],"structuredContent":`...)
		b = append(b, raw...)
		return append(b, '}'), nil
	}
	if r.Content == nil {
		r.Content = []mcp.Content{} // as the SDK does: "content" is never null
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("mcpserver: encode the tool's result: %w", err)
	}
	return b, nil
}

// plainStructured reports whether r is exactly what structured makes: one
// text block and raw structured content, nothing else.
func plainStructured(r *mcp.CallToolResult) (raw json.RawMessage, text string, ok bool) {
	if r.IsError || r.Meta != nil || len(r.Content) != 1 || r.InputRequests != nil {
		return nil, "", false
	}
	t, isText := r.Content[0].(*mcp.TextContent)
	raw, isRaw := r.StructuredContent.(json.RawMessage)
	if !isText || !isRaw || t.Meta != nil || t.Annotations != nil {
		return nil, "", false
	}
	return raw, t.Text, true
}
