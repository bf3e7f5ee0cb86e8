package httpserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
)

// sseSessions watches the legacy HTTP+SSE sessions for two things the SDK
// does not provide.
//
// Ownership: a GET opens the session and the client then POSTs its
// messages to /sse?sessionid=ID. The SDK runs every call of the session
// with the context of that GET, so calls count for the GET's agent; unlike
// its Streamable HTTP handler it does not check who sends the POSTs. Here a
// POST with another agent's key is refused (403), so that a leaked session
// ID cannot be used to spend under someone else's name.
//
// Calls awaiting their answer: a POST returns 202 at once and the answer
// comes later on the GET stream. Closing a session drops answers not yet
// written (the SDK's Close lets handlers finish but refuses their writes),
// so shutdown waits until every call POSTed has had its answer written.
type sseSessions struct {
	pending tracker // calls POSTed whose answer is not yet written, all sessions

	mu       sync.Mutex
	owner    map[string]string // session ID -> agent name
	inFlight map[string]int    // session ID -> its share of pending
}

func newSSESessions() *sseSessions {
	return &sseSessions{owner: make(map[string]string), inFlight: make(map[string]int)}
}

func (o *sseSessions) bind(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agent := agentFrom(r.Context())
		id := r.URL.Query().Get("sessionid")
		switch {
		case r.Method == http.MethodGet:
			ew := &streamWriter{ResponseWriter: w, sessions: o, agent: agent}
			defer ew.release()
			next.ServeHTTP(ew, r)
		case r.Method == http.MethodPost && id != "":
			o.mu.Lock()
			owner, known := o.owner[id]
			o.mu.Unlock()
			if !known {
				next.ServeHTTP(w, r) // the SDK answers 404
				return
			}
			if owner != agent {
				http.Error(w, "this SSE session was opened with another API key", http.StatusForbidden)
				return
			}
			o.post(w, r, id, next)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// post passes a message on to the session, counting the calls in it as
// pending from before the SDK sees them (the answer may be written before
// the POST returns) until their answer is written, or uncounting them if
// the SDK refused the message.
func (o *sseSessions) post(w http.ResponseWriter, r *http.Request, id string, next http.Handler) {
	body, err := io.ReadAll(r.Body) // already in memory: limitBody read it
	if err != nil {
		http.Error(w, "reading request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	n := countCalls(body)
	o.add(id, n)
	sw := &statusWriter{ResponseWriter: w}
	next.ServeHTTP(sw, r)
	if sw.status() != http.StatusAccepted {
		o.answered(id, n)
	}
}

func (o *sseSessions) add(id string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for range n {
		o.pending.add()
	}
	o.inFlight[id] += n
}

// answered uncounts up to n pending calls of session id.
func (o *sseSessions) answered(id string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n = min(n, o.inFlight[id])
	for range n {
		o.pending.done()
	}
	if o.inFlight[id] -= n; o.inFlight[id] == 0 {
		delete(o.inFlight, id)
	}
}

// rpcMessage is as much of a JSON-RPC message as tells calls, answers and
// notifications apart.
type rpcMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
}

func (m rpcMessage) isCall() bool   { return m.Method != "" && len(m.ID) > 0 && string(m.ID) != "null" }
func (m rpcMessage) isAnswer() bool { return m.Method == "" && len(m.ID) > 0 }

// countCalls counts the calls (requests with an ID) in a message or batch.
func countCalls(body []byte) int {
	var batch []rpcMessage
	if err := json.Unmarshal(body, &batch); err != nil {
		var one rpcMessage
		if json.Unmarshal(body, &one) != nil {
			return 0
		}
		batch = []rpcMessage{one}
	}
	n := 0
	for _, m := range batch {
		if m.isCall() {
			n++
		}
	}
	return n
}

// streamWriter is the ResponseWriter of a session's GET stream. From the
// first event the SDK writes, "event: endpoint\ndata: /sse?sessionid=ID",
// it learns the session and records its owner, before the client can read
// the ID; in later "message" events it sees the answers written.
type streamWriter struct {
	http.ResponseWriter
	sessions *sseSessions
	agent    string
	seen     bool   // the first write has been looked at
	id       string // the session's ID, once known
}

var (
	endpointEvent = []byte("event: endpoint\ndata: ")
	messageEvent  = []byte("event: message\ndata: ")
)

func (w *streamWriter) Write(b []byte) (int, error) {
	if !w.seen {
		w.seen = true
		w.learnSession(b)
		return w.ResponseWriter.Write(b)
	}
	n, err := w.ResponseWriter.Write(b)
	if w.id != "" && err == nil {
		if data, ok := bytes.CutPrefix(b, messageEvent); ok {
			var m rpcMessage
			if json.Unmarshal(bytes.TrimSpace(data), &m) == nil && m.isAnswer() {
				w.sessions.answered(w.id, 1)
			}
		}
	}
	return n, err
}

// learnSession records the session named in an endpoint event, before the
// event is written and so before the client can POST to the session.
func (w *streamWriter) learnSession(b []byte) {
	rest, ok := bytes.CutPrefix(b, endpointEvent)
	if !ok {
		return
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	u, err := url.Parse(string(line))
	if err != nil || u.Query().Get("sessionid") == "" {
		return
	}
	w.id = u.Query().Get("sessionid")
	w.sessions.mu.Lock()
	w.sessions.owner[w.id] = w.agent
	w.sessions.mu.Unlock()
}

// release forgets the session when its stream ends, with the calls still
// pending in it: their answers can no longer be written.
func (w *streamWriter) release() {
	if w.id == "" {
		return
	}
	w.sessions.mu.Lock()
	delete(w.sessions.owner, w.id)
	n := w.sessions.inFlight[w.id]
	w.sessions.mu.Unlock()
	w.sessions.answered(w.id, n)
}

// Unwrap lets http.ResponseController reach Flush through the wrapper.
func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
