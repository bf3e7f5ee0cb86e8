package httpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// limitBody reads a request's whole body, at most Options.MaxBodyBytes
// (413 beyond), before the MCP handler sees it, then lifts the connection's
// read deadline.
//
// Reading first keeps http.Server.ReadTimeout a bound on a slow sender
// (slowloris) without letting it end the request: the server keeps that
// deadline on the connection while the handler runs, and when it passes,
// the request's context is cancelled, which would cut a long generate call
// or an SSE stream. The SDK reads whole bodies anyway, so the copy costs
// nothing extra.
func (s *Server) limitBody(next http.Handler) http.Handler {
	limit := s.opts.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			s.tooLarge(w, r, limit)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				s.tooLarge(w, r, limit)
				return
			case err != nil:
				http.Error(w, "reading request body: "+err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		// Not all connections support deadlines (httptest's recorder);
		// without one there is nothing to lift.
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		next.ServeHTTP(w, r)
	})
}

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	s.log.InfoContext(r.Context(), "request refused", logKeyStatus, http.StatusRequestEntityTooLarge,
		logKeyReason, "body too large", logKeyAgent, agentFrom(r.Context()),
		logKeyMethod, r.Method, logKeyPath, r.URL.Path, logKeyRemote, r.RemoteAddr)
	// The rest of the body is not read: close the connection rather than
	// drain it.
	w.Header().Set("Connection", "close")
	http.Error(w, "request body too large: the limit is "+formatBytes(limit), http.StatusRequestEntityTooLarge)
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
