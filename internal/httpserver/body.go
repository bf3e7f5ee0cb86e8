package httpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// limitBody reads a request's whole body, at most Options.MaxBodyBytes,
// before the MCP handler sees it, and answers 413 beyond: at once when the
// declared Content-Length is too large, else as soon as the limit is
// passed. (The SDK has a limit of its own, set to the same value; this one
// answers the same way on every route, with a message that names the
// limit.) The SDK reads whole bodies anyway, so the copy costs little.
func (s *Server) limitBody(refuse refuseFunc, next http.Handler) http.Handler {
	limit := s.opts.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			s.tooLarge(w, r, limit, refuse)
			return
		}
		size := 0
		if r.Body != nil && r.Body != http.NoBody {
			// Admitted before the body is read: the declared length counts
			// (a body of unknown length, the limit), so that refusals cost
			// nothing.
			claim := r.ContentLength
			if claim < 0 {
				claim = limit
			}
			leave, status, msg := s.inFlight.enter(agentFrom(r.Context()), claim)
			if leave == nil {
				s.log.InfoContext(r.Context(), "request refused", logKeyStatus, status, logKeyReason, "in-flight limit",
					logKeyAgent, agentFrom(r.Context()), logKeyMethod, r.Method, logKeyPath, r.URL.Path, logKeyRemote, r.RemoteAddr)
				w.Header().Set("Retry-After", "1")
				refuse(w, r, status, msg)
				return
			}
			defer leave()
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				s.tooLarge(w, r, limit, refuse)
				return
			case err != nil:
				refuse(w, r, http.StatusBadRequest, "reading request body: "+err.Error())
				return
			}
			r.Body = &heldBody{Reader: bytes.NewReader(body), b: body}
			size = len(body)
		}
		next.ServeHTTP(w, r)
		if size >= releaseAfter {
			s.releaseLastRequest(next, r)
		}
	})
}

// heldBody is a request body limitBody has read whole: a reader for the
// MCP SDK, and the bytes themselves for the lane, which reads them in place.
type heldBody struct {
	*bytes.Reader
	b []byte
}

func (*heldBody) Close() error { return nil }

// Held returns the whole body while none of it has been read, so that the
// compatible APIs' handlers read it in place (httpapi.Held).
func (h *heldBody) Held() []byte {
	if h.Len() != len(h.b) {
		return nil
	}
	return h.b
}

// releaseAfter is the body size from which a session is nudged into
// dropping the request it last handled.
const releaseAfter = 64 << 10

// releaseCancel is a notification every MCP server accepts and ignores
// when the call it names is not in flight, which it never is.
const releaseCancel = `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"llm-gateway-release","reason":"releases the previous request"}}`

// releaseLastRequest works around the MCP SDK keeping a session's last
// handled request (and its decoded params, as large as the body) alive
// until the session's next message: its jsonrpc2 handler queue pops with
// q = q[1:], which leaves the request in the slice's backing array. An
// idle session thus held a copy of its last body, 2 MiB after a 2 MiB
// call. Once a large request has been answered, the same session is sent a
// tiny notification, as the client could have, which takes that place.
// Sessionless requests (stateless mode, initialize) end with their
// session and need none.
func (s *Server) releaseLastRequest(next http.Handler, r *http.Request) {
	if r.Method != http.MethodPost || (r.Header.Get("Mcp-Session-Id") == "" && r.URL.Query().Get("sessionid") == "") {
		return
	}
	nudge := r.Clone(r.Context())
	nudge.Body = io.NopCloser(strings.NewReader(releaseCancel))
	nudge.ContentLength = int64(len(releaseCancel))
	next.ServeHTTP(discardWriter{header: http.Header{}}, nudge)
}

// discardWriter is the response writer of the release nudge, whose answer
// (202, no body) nobody reads.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, limit int64, refuse refuseFunc) {
	s.log.InfoContext(r.Context(), "request refused", logKeyStatus, http.StatusRequestEntityTooLarge,
		logKeyReason, "body too large", logKeyAgent, agentFrom(r.Context()),
		logKeyMethod, r.Method, logKeyPath, r.URL.Path, logKeyRemote, r.RemoteAddr)
	// The rest of the body is not read: close the connection rather than
	// drain it.
	w.Header().Set("Connection", "close")
	refuse(w, r, http.StatusRequestEntityTooLarge, "request body too large: the limit is "+formatBytes(limit))
}

// formatBytes writes whole KiB and MiB as such: "4 MiB", "1500 bytes".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
