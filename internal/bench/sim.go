package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

// The simulator runs in a child process of its own, as Bedrock is another
// machine: a direct Converse call then crosses processes as it does in
// production, and no row's client shares a process (and its scheduler and
// garbage collector) with the server it calls. The harness reads the
// simulator's counts over the child's control pipe, between measured
// blocks, never during one.

// simCounts is what the harness asks of the simulator child.
type simCounts struct {
	Calls int64 `json:"calls"` // model invocations answered
	Conns int64 `json:"conns"` // connections accepted
}

// simChild is the child side: the simulator, counting its connections.
type simChild struct {
	*bedrocksim.Server
	conns atomic.Int64
	once  sync.Once
	err80 error
}

func newSimChild() *simChild {
	return &simChild{Server: bedrocksim.New(bedrocksim.Options{AccessKeyID: benchAccessKey, SecretAccessKey: benchSecretKey, Region: benchRegion})}
}

func (s *simChild) connState(_ net.Conn, st http.ConnState) {
	if st == http.StateNew {
		s.conns.Add(1)
	}
}

func (s *simChild) counts() *simCounts {
	return &simCounts{Calls: s.Calls(), Conns: s.conns.Load()}
}

// listen80 serves the simulator on 127.0.0.1:80 too, until the child
// exits. Portkey signs its Bedrock requests for the custom host's name
// without its port (SigV4's host header "127.0.0.1" where the request
// carries "127.0.0.1:PORT"), so the simulator, which checks signatures as
// Bedrock does, refuses it on any port but the scheme's default. Binding
// port 80 needs root or CAP_NET_BIND_SERVICE.
func (s *simChild) listen80(ctx context.Context) error {
	s.once.Do(func() {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:80")
		if err != nil {
			s.err80 = fmt.Errorf("portkey signs Bedrock requests without the endpoint's port, so it needs the simulator on port 80: %w", err)
			return
		}
		srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ConnState: s.connState}
		go func() { _ = srv.Serve(ln) }() // until the process exits
	})
	return s.err80
}

// startSimulator starts the simulator child and points simURL at it.
func (h *harness) startSimulator(ctx context.Context) (stop func(), err error) {
	c, err := h.startChild(modeSim)
	if err != nil {
		return nil, fmt.Errorf("bench: simulator: %w", err)
	}
	h.simChild = c
	h.simURL = "http://" + c.addr
	return func() { _ = c.close() }, nil
}

// simCounts asks the simulator child for its counts. A child that does not
// answer is a broken run: the zero counts it yields make the rows that
// read them fail their checks, and the error is kept for the report.
func (h *harness) simCounts() simCounts {
	if h.simChild == nil {
		return simCounts{}
	}
	r, err := h.simChild.command(childStartTimeout, "sim")
	if err == nil && r.Sim == nil {
		err = errors.New("simulator: no counts in its reply")
	}
	if err != nil {
		h.progress("simulator: %v", err)
		return simCounts{}
	}
	return *r.Sim
}

// simCalls is the simulator's count of model invocations.
func (h *harness) simCalls() int64 { return h.simCounts().Calls }

// simConns is the simulator's count of accepted connections.
func (h *harness) simConns() int64 { return h.simCounts().Conns }

// simulatorOnPort80 has the simulator child serve on 127.0.0.1:80 too.
func (h *harness) simulatorOnPort80(context.Context) (url string, stop func(), err error) {
	if h.simChild == nil {
		return "", nil, errors.New("no simulator")
	}
	if _, err := h.simChild.command(childStartTimeout, "sim-port80"); err != nil {
		return "", nil, err
	}
	return "http://127.0.0.1", func() {}, nil
}
