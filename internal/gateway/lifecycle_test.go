package gateway

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// ledgerAdmission is a fake Admission that logs every step and can refuse.
type ledgerAdmission struct {
	mu      sync.Mutex
	steps   []string
	refuse  map[string]error // by step: "enter", "allow:MODEL", "reserve:MODEL"
	settled []Usage
	costs   []PicoUSD
	worst   []PicoUSD
}

func (a *ledgerAdmission) log(step string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.steps = append(a.steps, step)
	return a.refuse[step]
}

func (a *ledgerAdmission) Enter(_ context.Context, e Entry) (func(), error) {
	if err := a.log("enter"); err != nil {
		return nil, err
	}
	return func() { _ = a.log("leave") }, nil
}

func (a *ledgerAdmission) Allow(_ context.Context, agent string, m Model) error {
	return a.log("allow:" + m.Name)
}

func (a *ledgerAdmission) Reserve(_ context.Context, r Reservation) (Settle, error) {
	if err := a.log("reserve:" + r.Model.Name); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.worst = append(a.worst, r.WorstCase)
	a.mu.Unlock()
	return func(_ context.Context, used Usage, cost PicoUSD, priced bool) {
		_ = a.log(fmt.Sprintf("settle:%s:%v", r.Model.Name, priced))
		a.mu.Lock()
		defer a.mu.Unlock()
		a.settled = append(a.settled, used)
		a.costs = append(a.costs, cost)
	}, nil
}

func TestLifecycleStepsInOrder(t *testing.T) {
	tests := []struct {
		name    string
		refuse  map[string]error
		cached  bool // a first identical call fills the cache
		want    []string
		wantErr ErrorKind
	}{
		{name: "miss", want: []string{"enter", "allow:nova-pro", "reserve:nova-pro", "settle:nova-pro:true", "leave"}},
		{name: "hit reserves nothing", cached: true, want: []string{"enter", "allow:nova-pro", "leave"}},
		{
			name: "refused at the door", refuse: map[string]error{"enter": &Error{Kind: KindRateLimited, Message: "slow"}},
			want: []string{"enter"}, wantErr: KindRateLimited,
		},
		{
			name: "model not allowed", refuse: map[string]error{"allow:nova-pro": &Error{Kind: KindModelNotAllowed, Message: "no"}},
			want: []string{"enter", "allow:nova-pro", "leave"}, wantErr: KindModelNotAllowed,
		},
		{
			name: "over budget", refuse: map[string]error{"reserve:nova-pro": &Error{Kind: KindBudgetExceeded, Message: "spent"}},
			want: []string{"enter", "allow:nova-pro", "reserve:nova-pro", "leave"}, wantErr: KindBudgetExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProvider{}
			rec1, rec2 := &recorder{}, &recorder{}
			g, err := New(Options{Catalog: testModels, Provider: p, Cache: &mapCache{}, Recorders: []Recorder{rec1, rec2}})
			if err != nil {
				t.Fatal(err)
			}
			req := func() *Request { return &Request{Model: "nova-pro", Messages: userMsg("hi"), Agent: "a"} }
			if tt.cached {
				if _, err := g.Generate(t.Context(), req()); err != nil {
					t.Fatal(err)
				}
			}
			adm := &ledgerAdmission{refuse: tt.refuse}
			g.opts.Admission = adm
			calls := p.calls.Load()
			_, err = g.Generate(t.Context(), req())
			if KindOf(err) != tt.wantErr {
				t.Fatalf("Generate() error = %v, want kind %q", err, tt.wantErr)
			}
			if got := strings.Join(adm.steps, " "); got != strings.Join(tt.want, " ") {
				t.Errorf("steps = %s, want %s", got, strings.Join(tt.want, " "))
			}
			if tt.wantErr != "" && p.calls.Load() != calls {
				t.Errorf("a refused request reached the provider")
			}
			// Every recorder sees every request, refusals included.
			for i, r := range []*recorder{rec1, rec2} {
				last := r.events[len(r.events)-1]
				if len(r.events) == 0 || last.Kind != tt.wantErr || last.RequestID == "" || last.Agent != "a" {
					t.Errorf("recorder %d: last event %+v, want kind %q with a request ID", i, last, tt.wantErr)
				}
			}
		})
	}
}

func TestReserveWorstCaseAndSettleRealCost(t *testing.T) {
	p := &fakeProvider{} // answers 1000 in, 500 out
	adm := &ledgerAdmission{}
	g, err := New(Options{Catalog: testModels, Provider: p, Admission: adm})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("hello"), MaxTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	price := testModels["nova-pro"].Price
	real := costOf(price, Usage{InputTokens: 1000, OutputTokens: 500})
	if len(adm.costs) != 1 || adm.costs[0] != real {
		t.Errorf("settled costs %v, want [%d]", adm.costs, real)
	}
	// The worst case covers max_tokens at the output price and the input
	// bounded by its bytes.
	bound := inputTokenBound(&Call{Messages: userMsg("hello")})
	want := PicoUSD(bound)*price.Input + 100*price.Output
	if len(adm.worst) != 1 || adm.worst[0] != want || bound < len("hello") {
		t.Errorf("worst case %v (input bound %d), want [%d]", adm.worst, bound, want)
	}
	if *resp.EstimatedCostUSD != real.USD() {
		t.Errorf("answer cost %v, want %v", *resp.EstimatedCostUSD, real.USD())
	}
}

func TestEventCarriesEveryAttempt(t *testing.T) {
	p := &fakeProvider{fn: func(_ context.Context, c *Call) (*Completion, error) {
		if c.ModelID == "x.old-v1" {
			return nil, &Error{Kind: KindThrottled, Retryable: true, Message: "slow down"}
		}
		return &Completion{Content: "ok", FinishReason: FinishStop, Usage: Usage{InputTokens: 10, OutputTokens: 5}}, nil
	}}
	models := fakeCatalog{"nova-pro": testModels["nova-pro"], "flaky": {Name: "flaky", ID: "x.old-v1", MaxOutputTokens: 100, MaxTemperature: 1, Status: StatusActive}}
	rec := &recorder{}
	g, err := New(Options{Catalog: models, Provider: p, Recorders: []Recorder{rec}, Fallbacks: map[string][]string{"flaky": {"nova-pro"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Generate(t.Context(), &Request{Model: "flaky", Messages: userMsg("hi"), Frontend: "openai", Transport: "http", Session: "s1"}); err != nil {
		t.Fatal(err)
	}
	ev := rec.events[0]
	if len(ev.Attempts) != 2 || ev.Attempts[0].Kind != KindThrottled || ev.Attempts[1].Model != "nova-pro" || ev.Attempts[1].Usage.OutputTokens != 5 {
		t.Errorf("attempts = %+v, want flaky (throttled) then nova-pro with its usage", ev.Attempts)
	}
	want := costOf(testModels["nova-pro"].Price, Usage{InputTokens: 10, OutputTokens: 5})
	if ev.Cost != want || !ev.Priced || ev.Model != "nova-pro" || ev.ModelID != "us.amazon.nova-pro-v1:0" || ev.Fallbacks != 1 {
		t.Errorf("event = %+v, want nova-pro's cost %d, priced", ev, want)
	}
	if ev.Frontend != "openai" || ev.Transport != "http" || ev.Session != "s1" || ev.KeyHash == "" || ev.FinishReason != FinishStop {
		t.Errorf("event = %+v, want the request's frontend, transport, session, a key hash and the finish reason", ev)
	}
}

// TestEndOfLifeFallsBack: a model past its end of life is refused before
// Bedrock and the chain goes on to the next model.
func TestEndOfLifeFallsBack(t *testing.T) {
	p := &fakeProvider{}
	rec := &recorder{}
	g, err := New(Options{Catalog: testModels, Provider: p, Recorders: []Recorder{rec}, Fallbacks: map[string][]string{"old": {"nova-pro"}}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := g.Generate(t.Context(), &Request{Model: "old", Messages: userMsg("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "nova-pro" || len(resp.Attempts) != 1 || resp.Attempts[0].Kind != KindEndOfLife {
		t.Errorf("Generate() = %+v, want nova-pro after old (end of life)", resp)
	}
	if n := p.calls.Load(); n != 1 {
		t.Errorf("provider calls = %d, want 1 (the end-of-life model never reaches Bedrock)", n)
	}
	if ev := rec.events[0]; len(ev.Attempts) != 1 || ev.Fallbacks != 1 {
		t.Errorf("event = %+v, want one upstream attempt after one fallback", ev)
	}
}

// TestCoalescedIsNotACacheHit: requests that share a call in flight spent
// nothing and saved its cost, and are counted as coalesced, not cached.
func TestCoalescedIsNotACacheHit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		p := &fakeProvider{fn: func(ctx context.Context, c *Call) (*Completion, error) {
			<-release
			return &Completion{Content: "shared", Usage: Usage{InputTokens: 100, OutputTokens: 10}}, nil
		}}
		rec := &recorder{}
		g := newTestGateway(t, p, &mapCache{}, rec)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if _, err := g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("same")}); err != nil {
					t.Error(err)
				}
			})
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		cost := costOf(testModels["nova-pro"].Price, Usage{InputTokens: 100, OutputTokens: 10})
		var upstream, coalesced int
		for _, ev := range rec.events {
			switch {
			case ev.Cached:
				t.Errorf("event %+v is a cache hit; coalesced answers are not", ev)
			case ev.Coalesced:
				coalesced++
				if ev.Cost != 0 || ev.Saved != cost || len(ev.Attempts) != 0 {
					t.Errorf("coalesced event %+v, want no cost, %d saved, no attempts", ev, cost)
				}
			default:
				upstream++
				if ev.Cost != cost || ev.Saved != 0 || len(ev.Attempts) != 1 {
					t.Errorf("upstream event %+v, want cost %d, nothing saved, one attempt", ev, cost)
				}
			}
		}
		if upstream != 1 || coalesced != 2 {
			t.Errorf("%d upstream and %d coalesced events, want 1 and 2", upstream, coalesced)
		}
	})
}

// TestJoinerOfRefusedFlightGoesOnItsOwn: a request that joined an
// identical call refused for its owner's budget is not refused with it.
func TestJoinerOfRefusedFlightGoesOnItsOwn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &fakeProvider{}
		gate := make(chan struct{})
		adm := &gatedAdmission{gate: gate, refuse: "poor"}
		g, err := New(Options{Catalog: testModels, Provider: p, Admission: adm})
		if err != nil {
			t.Fatal(err)
		}
		var poorErr, richErr error
		var wg sync.WaitGroup
		wg.Go(func() {
			_, poorErr = g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("same"), Agent: "poor"})
		})
		synctest.Wait() // poor owns the flight, blocked in Reserve
		wg.Go(func() {
			_, richErr = g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("same"), Agent: "rich"})
		})
		synctest.Wait() // rich has joined poor's flight
		close(gate)
		wg.Wait()
		if KindOf(poorErr) != KindBudgetExceeded || richErr != nil {
			t.Errorf("poor: %v, rich: %v; want poor refused and rich answered", poorErr, richErr)
		}
	})
}

// gatedAdmission blocks every reservation until gate closes, then refuses
// the agent named by refuse.
type gatedAdmission struct {
	gate   chan struct{}
	refuse string
}

func (a *gatedAdmission) Enter(context.Context, Entry) (func(), error) { return func() {}, nil }
func (a *gatedAdmission) Allow(context.Context, string, Model) error   { return nil }
func (a *gatedAdmission) Reserve(_ context.Context, r Reservation) (Settle, error) {
	<-a.gate
	if r.Agent == a.refuse {
		return nil, &Error{Kind: KindBudgetExceeded, Message: "spent"}
	}
	return func(context.Context, Usage, PicoUSD, bool) {}, nil
}

func TestBudgetRefusalDowngradesOnce(t *testing.T) {
	over := func(to string) error {
		return &Error{Kind: KindBudgetExceeded, Message: "spent", Refusal: &Refusal{Limit: "budget.daily_usd", Downgrade: to}}
	}
	tests := []struct {
		name    string
		refuse  map[string]error
		want    string // the model that answered; "" for a refusal
		wantErr ErrorKind
	}{
		{name: "downgraded", refuse: map[string]error{"reserve:nova-pro": over("free-model")}, want: "free-model"},
		{name: "the cheaper one refused too", refuse: map[string]error{"reserve:nova-pro": over("free-model"), "reserve:free-model": over("nova-pro")}, wantErr: KindBudgetExceeded},
		{name: "no downgrade named", refuse: map[string]error{"reserve:nova-pro": over("")}, wantErr: KindBudgetExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adm := &ledgerAdmission{refuse: tt.refuse}
			g, err := New(Options{Catalog: testModels, Provider: &fakeProvider{}, Admission: adm})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("hi")})
			if KindOf(err) != tt.wantErr {
				t.Fatalf("Generate() error = %v, want kind %q", err, tt.wantErr)
			}
			if err != nil {
				if RefusalOf(err) == nil {
					t.Errorf("the refusal's figures were lost: %v", err)
				}
				return
			}
			if resp.Model != tt.want || len(resp.Attempts) != 1 || resp.Attempts[0].Kind != KindBudgetExceeded {
				t.Errorf("answered by %s after %+v, want %s after one budget refusal", resp.Model, resp.Attempts, tt.want)
			}
		})
	}
}
