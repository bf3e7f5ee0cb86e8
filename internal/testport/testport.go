// Package testport picks loopback ports for the servers tests start and
// stop (a redis-server, a PostgreSQL of their own), and counts what tests'
// connections write.
package testport

import (
	"crypto/rand"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
)

// Free returns a free 127.0.0.1 port between 20000 and 30000: below
// Linux's ephemeral range, because while a test's server is stopped its
// clients keep dialing the port, and a port in the ephemeral range can be
// taken by one of those dials connecting to itself (TCP simultaneous
// open), so that the restarted server would never be reached.
func Free(t testing.TB) string {
	t.Helper()
	var b [2]byte
	for range 100 {
		_, _ = rand.Read(b[:])
		port := strconv.Itoa(20000 + (int(b[0])<<8|int(b[1]))%10000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+port); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port between 20000 and 30000")
	return ""
}

// CountingConn counts the writes made on a connection, for tests that
// check how many a request or an answer takes.
type CountingConn struct {
	net.Conn
	Writes *atomic.Int64
}

func (c CountingConn) Write(p []byte) (int, error) {
	c.Writes.Add(1)
	return c.Conn.Write(p)
}
