package httpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
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
		if r.Body != nil && r.Body != http.NoBody {
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
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

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
