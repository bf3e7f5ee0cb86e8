package bedrocksim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

// statusOf is the HTTP status of an SDK error, or 0 if there was no response.
func statusOf(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestFaults(t *testing.T) {
	sim, c := simClient(t)
	tests := []struct {
		marker string
		status int
		target any // pointer to the SDK's typed error
	}{
		{"[sim:throttle]", 429, new(*types.ThrottlingException)},
		{"[sim:error=429]", 429, new(*types.ThrottlingException)},
		{"[sim:error=400]", 400, new(*types.ValidationException)},
		{"[sim:error=403]", 403, new(*types.AccessDeniedException)},
		{"[sim:error=404]", 404, new(*types.ResourceNotFoundException)},
		{"[sim:error=408]", 408, new(*types.ModelTimeoutException)},
		{"[sim:error=424]", 424, new(*types.ModelErrorException)},
		{"[sim:error=500]", 500, new(*types.InternalServerException)},
		{"[sim:error=503]", 503, new(*types.ServiceUnavailableException)},
		{"[sim:not-ready]", 429, new(*types.ModelNotReadyException)},
		{"[sim:timeout]", 408, new(*types.ModelTimeoutException)},
	}
	for _, tt := range tests {
		t.Run(tt.marker, func(t *testing.T) {
			calls := sim.Calls()
			in := input(novaPro, "please "+tt.marker)
			_, err := c.Converse(t.Context(), in)
			if !errors.As(err, tt.target) || statusOf(err) != tt.status {
				t.Errorf("Converse error = %v (status %d), want %T with status %d", err, statusOf(err), tt.target, tt.status)
			}
			_, err = c.ConverseStream(t.Context(), streamInput(in))
			if !errors.As(err, tt.target) || statusOf(err) != tt.status {
				t.Errorf("ConverseStream error = %v (status %d), want %T with status %d", err, statusOf(err), tt.target, tt.status)
			}
			if got := sim.Calls() - calls; got != 2 {
				t.Errorf("Calls() grew by %d, want 2", got)
			}
		})
	}
}

func TestThrottleCount(t *testing.T) {
	sim, c := simClient(t)
	in := input(novaPro, "retry me [sim:throttle=2]")
	var throttled []bool
	for range 4 {
		_, err := c.Converse(t.Context(), in)
		var te *types.ThrottlingException
		if err != nil && !errors.As(err, &te) {
			t.Fatalf("Converse: %v, want success or throttling", err)
		}
		throttled = append(throttled, err != nil)
	}
	if want := []bool{true, true, false, false}; !slices.Equal(throttled, want) {
		t.Errorf("throttled calls = %v, want %v", throttled, want)
	}
	// Another body has its own count, streamed or not.
	if _, err := c.ConverseStream(t.Context(), streamInput(input(novaPro, "other [sim:throttle=1]"))); statusOf(err) != 429 {
		t.Errorf("first ConverseStream with another body: %v, want throttled", err)
	}
	if _, err := c.ConverseStream(t.Context(), streamInput(input(novaPro, "other [sim:throttle=1]"))); err != nil {
		t.Errorf("second ConverseStream with another body: %v, want success", err)
	}
	if n := sim.Calls(); n != 6 {
		t.Errorf("Calls() = %d, want 6", n)
	}
}

// observer wraps the simulator to tell when a request arrives and when its
// handler has returned.
type observer struct {
	next             http.Handler
	arrived, handled chan struct{}
}

func newObserver(next http.Handler) *observer {
	return &observer{next: next, arrived: make(chan struct{}, 1), handled: make(chan struct{}, 1)}
}

func (o *observer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.arrived <- struct{}{}
	o.next.ServeHTTP(w, r)
	o.handled <- struct{}{}
}

// TestCancellation checks that every delay ends when the client goes away:
// the client sees context.Canceled and the handler returns, though the
// delays are an hour long.
func TestCancellation(t *testing.T) {
	tests := []struct {
		name   string
		opts   bedrocksim.Options
		prompt string
		// midStream cancels once the first delta has arrived, rather than
		// once the request has reached the simulator.
		midStream bool
	}{
		{"latency marker", bedrocksim.Options{}, "[sim:latency=1h] wait", false},
		{"latency option", bedrocksim.Options{Latency: time.Hour}, "wait", false},
		{"token delay marker", bedrocksim.Options{}, "[sim:token-delay=1h] wait", true},
		{"token delay option", bedrocksim.Options{TokenDelay: time.Hour}, "wait", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.AccessKeyID, tt.opts.SecretAccessKey = testKeyID, testSecret
			obs := newObserver(bedrocksim.New(tt.opts))
			srv := httptest.NewServer(obs)
			t.Cleanup(srv.Close)
			c := newClient(srv.URL)

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			firstDelta := make(chan struct{})
			errc := make(chan error, 1)
			go func() {
				if !tt.midStream {
					_, err := c.Converse(ctx, input(novaPro, tt.prompt))
					errc <- err
					return
				}
				out, err := c.ConverseStream(ctx, streamInput(input(novaPro, tt.prompt)))
				if err != nil {
					close(firstDelta)
					errc <- err
					return
				}
				stream := out.GetStream()
				defer stream.Close()
				deltas := 0
				for ev := range stream.Events() {
					if _, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
						if deltas++; deltas == 1 {
							close(firstDelta)
						}
					}
				}
				if deltas != 1 {
					t.Errorf("%d deltas arrived, want 1 before the hour-long delay", deltas)
				}
				errc <- stream.Err()
			}()
			<-obs.arrived
			if tt.midStream {
				<-firstDelta
			}
			cancel()
			err := <-errc
			if !errors.Is(err, context.Canceled) {
				t.Errorf("call error = %v, want context.Canceled", err)
			}
			<-obs.handled // the handler gave up its delay
		})
	}
}

func TestDrop(t *testing.T) {
	sim, c := simClient(t)
	in := input(novaPro, "[sim:drop]")
	for _, call := range []struct {
		name string
		do   func() error
	}{
		{"Converse", func() error { _, err := c.Converse(t.Context(), in); return err }},
		{"ConverseStream", func() error { _, err := c.ConverseStream(t.Context(), streamInput(in)); return err }},
	} {
		err := call.do()
		var apiErr smithy.APIError
		if err == nil || errors.As(err, &apiErr) || statusOf(err) != 0 {
			t.Errorf("%s error = %v, want a transport error without a response", call.name, err)
		}
	}
	if n := sim.Calls(); n != 2 {
		t.Errorf("Calls() = %d, want 2", n)
	}
	if _, err := c.Converse(t.Context(), input(novaPro, "still there?")); err != nil {
		t.Errorf("Converse after drops: %v", err)
	}
}
