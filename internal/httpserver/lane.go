package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	segjson "github.com/segmentio/encoding/json"

	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
	"github.com/llm-gateway/llm-gateway/internal/rpcwire"
)

// serveSessionPOST stands before the SDK's Streamable HTTP handler. A POST
// of a known session, from the agent that opened it, counts as the
// session's activity (sessionCaps closes idle sessions), and, when
// Options.Lane is set and takes the call it carries, is answered by the
// lane (mcpserver.Lane) instead of the SDK; every other request, and every
// POST the lane is unsure of, goes to the SDK unchanged.
//
// Why: on a cache hit the SDK's JSON-RPC machinery costs more than the
// gateway's own work (docs/BENCHMARKS.md, issue 19). The lane runs the same
// receiving middleware around the same generate handler with the same
// *mcp.ServerSession, and answers with the bytes the SDK would send.
//
// The lane runs inside guard, so every check of the gateway's (origin,
// key, backoff, body size, in-flight and session limits) has passed. It
// takes only a POST the SDK would serve as it is: it repeats the SDK's own
// checks (lanePOST) and leaves anything else to the SDK, which then
// refuses it as it always did.
func (s *Server) serveSessionPOST(sdk http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Mcp-Session-Id")
		if r.Method != http.MethodPost || id == "" {
			sdk.ServeHTTP(w, r)
			return
		}
		st := s.sessions.enter(id, agentFrom(r.Context()))
		if st == nil { // unknown or another agent's: the SDK answers 404 or 403
			sdk.ServeHTTP(w, r)
			return
		}
		defer s.sessions.leave(st)
		if s.opts.Lane == nil || !s.lanePOST(w, r, id) {
			sdk.ServeHTTP(w, r)
		}
	})
}

// lanePOST answers r through the lane and returns true, or returns false
// without writing anything when the SDK should answer it. The caller has
// checked that r is a POST of session id sent by the agent that opened it.
func (s *Server) lanePOST(w http.ResponseWriter, r *http.Request, id string) bool {
	ls := s.opts.Lane.SessionByID(id)
	if ls == nil || !sdkWouldServe(r) {
		return false
	}
	hb, ok := r.Body.(*heldBody) // limitBody has read it (and bounded it)
	if !ok {
		return false
	}
	req := decodeCall(hb.b)
	if req == nil || !req.IsCall() || req.Method != "tools/call" || len(req.Params) == 0 {
		return false
	}
	sse := &laneStream{w: w}
	call := ls.Take(req, mcpserver.TakeOptions{
		// Progress notifications go where the SDK's session sends them,
		// which is not this POST's stream: such calls stay the SDK's.
		NoNotifications: true,
		Notify:          sse.event,
		Extra:           &mcp.RequestExtra{TokenInfo: auth.TokenInfoFromContext(r.Context()), Header: r.Header},
	})
	if call == nil {
		return false
	}
	s.laneAnswers.Add(1)
	sse.begin()
	// As with the SDK, the call outlives its request: a client that goes
	// away does not cancel it (notifications/cancelled does, and the
	// shutdown grace period's end).
	result, rerr, answer := call.Run(context.WithoutCancel(r.Context()))
	if !answer || s.opts.Lane.SessionByID(id) != ls {
		// Cancelled by the client, or the session ended meanwhile: no
		// answer, and the stream ends, as the SDK's would.
		return true
	}
	if rerr != nil {
		out, err := jsonrpc.EncodeMessage(&jsonrpc.Response{ID: req.ID, Error: rerr})
		if err != nil {
			s.log.Error("the lane's answer could not be encoded", logKeyError, err)
			return true
		}
		sse.answer(out)
		return true
	}
	// The lane's result is compact JSON already: framed, not encoded again.
	sse.answer(rpcwire.AppendResult(make([]byte, 0, len(result)+48), req.ID, result))
	return true
}

// wireMessage is the SDK's wireDecode (internal/jsonrpc2): a JSON-RPC
// message as its decoder reads it, member for member.
type wireMessage struct {
	VersionTag string          `json:"jsonrpc"`
	ID         any             `json:"id,omitempty"`
	Method     json.RawMessage `json:"method"`
	Params     json.RawMessage `json:"params,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *jsonrpc.Error  `json:"error,omitempty"`
}

// decodeCall reads a POST's body as the SDK does (readBatch, then
// jsonrpc.DecodeMessage: its JSON package, member names matched exactly,
// a depth limit, "jsonrpc" 2.0, an id of the right type) and returns the
// request it holds, or nil for anything else: a batch, a response, or
// what the SDK would refuse. It reads the body in place, where the SDK's
// decoder allocates a 32 KiB buffer for every message.
func decodeCall(body []byte) *jsonrpc.Request {
	body = bytes.TrimLeft(body, " \t\r\n")
	if len(body) == 0 || body[0] != '{' || mcpserver.MayNestTooDeep(body) {
		return nil
	}
	const flags = segjson.DontMatchCaseInsensitiveStructFields
	var w wireMessage
	if rest, err := segjson.Parse(body, &w, flags); err != nil || len(rest) != 0 {
		return nil // (the SDK ignores what follows the message; the lane leaves it to the SDK)
	}
	if w.VersionTag != "2.0" || len(w.Method) == 0 {
		return nil
	}
	id, err := jsonrpc.MakeID(w.ID)
	if err != nil {
		return nil
	}
	var method string
	if rest, err := segjson.Parse(w.Method, &method, flags); err != nil || len(rest) != 0 {
		return nil
	}
	return &jsonrpc.Request{ID: id, Method: method, Params: w.Params}
}

// sdkWouldServe reports whether the SDK's Streamable HTTP handler would
// serve this POST of a live session that belongs to its sender, rather
// than refuse it: the checks of its ServeHTTP, serveStatefulPOST and
// servePOST (go-sdk v1.8.0, mcp/streamable.go), made as strictly or more.
func sdkWouldServe(r *http.Request) bool {
	// DNS rebinding: a loopback listener refuses a Host that is not.
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && la != nil &&
		sdkIsLoopback(la.String()) && !sdkIsLoopback(r.Host) {
		return false
	}
	// A protocol version the SDK serves with sessions, or none; the
	// sessionless revisions are refused with an error of their own.
	if v := r.Header.Get("Mcp-Protocol-Version"); v != "" && !slices.Contains(sessionVersions, v) {
		return false
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return false
		}
	}
	if json, stream := acceptsJSONAndSSE(r.Header.Values("Accept")); !json || !stream {
		return false
	}
	return len(r.Header.Values("Last-Event-Id")) == 0
}

// acceptsJSONAndSSE is the SDK's streamableAccepts: whether the Accept
// headers allow application/json and text/event-stream.
func acceptsJSONAndSSE(values []string) (jsonOK, streamOK bool) {
	for _, value := range values {
		for raw := range strings.SplitSeq(value, ",") {
			base, _, _ := strings.Cut(strings.TrimSpace(raw), ";")
			switch strings.ToLower(strings.TrimSpace(base)) {
			case "application/json", "application/*":
				jsonOK = true
			case "text/event-stream", "text/*":
				streamOK = true
			case "*/*":
				jsonOK, streamOK = true, true
			}
		}
	}
	return jsonOK, streamOK
}

// sdkIsLoopback is the SDK's util.IsLoopback, which its DNS rebinding
// check applies to the listener's address and to Host.
func sdkIsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = strings.Trim(addr, "[]")
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// laneStream writes the lane's answer to a POST as the SDK writes its
// answer to a call: a text/event-stream of "message" events (no id lines:
// the gateway keeps no event store for resumption), the call's log
// notifications first, each event flushed as it is written.
type laneStream struct {
	w  http.ResponseWriter
	mu sync.Mutex // log notifications may come from other goroutines
}

// begin sets the SDK's headers for a call's stream; the status (200) goes
// with the first event, or with the empty body of a call that needs no
// answer.
func (s *laneStream) begin() {
	h := s.w.Header()
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Content-Type", "text/event-stream")
	h.Set("Connection", "keep-alive")
}

// event writes one message event and flushes it. Write errors are the
// client's going away, which ends nothing: the call runs on, as with the
// SDK.
func (s *laneStream) event(data []byte) {
	b := frameMessage(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(b); err == nil { //nolint:gosec // a text/event-stream of JSON-RPC messages, as the SDK writes them; no HTML
		_ = http.NewResponseController(s.w).Flush()
	}
}

// answer writes the stream's last event, the call's answer, and leaves it
// in the response's buffer: net/http sends it with the end of the chunked
// body when the handler returns, in one write, where flushing it would
// make that two (the event, then the body's end) on every call. The
// answer is chunked as the SDK's is even when no event was flushed before
// it, rather than given the Content-Length net/http gives a short body.
func (s *laneStream) answer(data []byte) {
	b := frameMessage(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Header().Set("Transfer-Encoding", "chunked")
	_, _ = s.w.Write(b) //nolint:gosec // as in event
}

// frameMessage is data framed as a "message" event.
func frameMessage(data []byte) []byte {
	b := make([]byte, 0, len(data)+len("event: message\ndata: \n\n"))
	b = append(b, "event: message\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}
