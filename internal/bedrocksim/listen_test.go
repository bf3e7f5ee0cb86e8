package bedrocksim_test

import (
	"context"
	"net"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

func TestListenAndServe(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ready := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() {
		served <- bedrocksim.ListenAndServe(ctx, "127.0.0.1:0", bedrocksim.Options{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
			func(a net.Addr) { ready <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-served:
		t.Fatalf("ListenAndServe: %v before ready", err)
	}
	c := newClient("http://" + addr.String())
	if _, err := converse(t, ctx, c, input(novaPro, "hello")); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("ListenAndServe after cancel = %v, want nil", err)
	}
	if _, err := c.Converse(t.Context(), input(novaPro, "hello")); err == nil {
		t.Errorf("Converse after shutdown succeeded, want a connection error")
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	err := bedrocksim.ListenAndServe(t.Context(), "127.0.0.1:-1", bedrocksim.Options{}, func(net.Addr) {
		t.Errorf("ready called for a bad address")
	})
	if err == nil {
		t.Errorf("ListenAndServe(127.0.0.1:-1) = nil, want an error")
	}
}
