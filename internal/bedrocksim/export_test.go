package bedrocksim

import "time"

// SetNow replaces the clock signatures are checked against. Call it before
// the server handles requests.
func (s *Server) SetNow(now func() time.Time) { s.now = now }
