package gateway

import (
	"context"
	"errors"
	"testing"
)

// fakeCoalescer answers Acquire from its fields and keeps what was released.
type fakeCoalescer struct {
	comp     *Completion
	err      error
	lease    bool
	released []*Completion
}

func (c *fakeCoalescer) Acquire(context.Context, string) (*Completion, Lease, error) {
	if c.lease {
		return nil, c, nil
	}
	return c.comp, nil, c.err
}

func (c *fakeCoalescer) Release(_ context.Context, comp *Completion, _ error) {
	c.released = append(c.released, comp)
}

func TestCoalescerAcrossProcesses(t *testing.T) {
	remote := &Completion{Content: "from another replica", FinishReason: FinishStop, Usage: Usage{InputTokens: 10, OutputTokens: 10}}
	tests := []struct {
		name         string
		c            *fakeCoalescer
		wantCalls    int64
		wantContent  string
		wantCoalesce bool
		wantKind     ErrorKind
		wantReleased int
	}{
		{name: "another replica answered", c: &fakeCoalescer{comp: remote}, wantContent: remote.Content, wantCoalesce: true},
		{name: "this replica holds the lease", c: &fakeCoalescer{lease: true}, wantCalls: 1, wantContent: "hi from us.amazon.nova-pro-v1:0", wantReleased: 1},
		{name: "shared state down: call alone", c: &fakeCoalescer{err: errors.New("redis: connection refused")}, wantCalls: 1, wantContent: "hi from us.amazon.nova-pro-v1:0"},
		{name: "the other replica's call failed", c: &fakeCoalescer{err: &Error{Kind: KindThrottled, Message: "slow down"}}, wantKind: KindThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProvider{}
			rec := &recorder{}
			g, err := New(Options{Catalog: testModels, Provider: p, Coalescer: tt.c, Recorders: []Recorder{rec}})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("hi")})
			if KindOf(err) != tt.wantKind {
				t.Fatalf("Generate() error = %v, want kind %q", err, tt.wantKind)
			}
			if p.calls.Load() != tt.wantCalls {
				t.Errorf("provider calls = %d, want %d", p.calls.Load(), tt.wantCalls)
			}
			if len(tt.c.released) != tt.wantReleased {
				t.Errorf("leases released = %d, want %d", len(tt.c.released), tt.wantReleased)
			}
			if err != nil {
				return
			}
			ev := rec.events[0]
			if resp.Content != tt.wantContent || ev.Coalesced != tt.wantCoalesce || ev.Cached {
				t.Errorf("answer %q, event coalesced=%v cached=%v; want %q, coalesced=%v", resp.Content, ev.Coalesced, ev.Cached, tt.wantContent, tt.wantCoalesce)
			}
			if tt.wantCoalesce && (ev.Cost != 0 || ev.Saved == 0) {
				t.Errorf("event cost %d saved %d, want nothing spent and its cost saved", ev.Cost, ev.Saved)
			}
		})
	}
}
