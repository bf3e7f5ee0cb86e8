package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fakeCatalog knows a fixed set of models by name.
type fakeCatalog map[string]Model

func (c fakeCatalog) Resolve(name string) (Model, error) {
	if m, ok := c[name]; ok {
		return m, nil
	}
	return Model{}, &Error{Kind: KindUnknownModel, Field: "model", Message: "unknown model " + name}
}

// fakeProvider answers with a fixed completion, or runs fn when set.
type fakeProvider struct {
	calls atomic.Int64
	fn    func(ctx context.Context, c *Call) (*Completion, error)
}

func (p *fakeProvider) Converse(ctx context.Context, c *Call) (*Completion, error) {
	p.calls.Add(1)
	if p.fn != nil {
		return p.fn(ctx, c)
	}
	return &Completion{Content: "hi from " + c.ModelID, FinishReason: FinishStop, Usage: Usage{InputTokens: 1000, OutputTokens: 500}}, nil
}

// ConverseStream makes a plain call and hands over its text in one piece.
func (p *fakeProvider) ConverseStream(ctx context.Context, c *Call, onDelta func(string)) (*Completion, error) {
	comp, err := p.Converse(ctx, c)
	if err == nil {
		onDelta(comp.Content)
	}
	return comp, err
}

// mapCache is the simplest Cache.
type mapCache struct {
	mu sync.Mutex
	m  map[string]Completion
}

func (c *mapCache) Get(_ context.Context, k string) (*Completion, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return &v, ok
}

func (c *mapCache) Set(_ context.Context, k string, v *Completion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]Completion)
	}
	c.m[k] = *v
}

// recorder keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Record(_ context.Context, e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

var testModels = fakeCatalog{
	"nova-pro": {
		Name: "nova-pro", ID: "us.amazon.nova-pro-v1:0", MaxOutputTokens: 5000, MaxTemperature: 1,
		SupportsSystem: true, Status: StatusActive,
		Price: &Price{Input: PicoFromUSD(0.0008 / 1000), Output: PicoFromUSD(0.0032 / 1000)},
	},
	"free-model": {Name: "free-model", ID: "x.free-v1", MaxOutputTokens: 100, MaxTemperature: 1, Status: StatusActive},
	"old": {
		Name: "old", ID: "x.old-v1", MaxOutputTokens: 100, MaxTemperature: 1,
		Status: StatusEndOfLife, EndOfLife: "2025-01-01", Replacement: "nova-pro",
	},
}

func newTestGateway(t *testing.T, p Provider, c Cache, r Recorder) *Gateway {
	t.Helper()
	g, err := New(Options{Catalog: testModels, Provider: p, Cache: c, Recorders: recorders(r)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// recorders wraps r, if any, as the Recorders option.
func recorders(r Recorder) []Recorder {
	if r == nil {
		return nil
	}
	return []Recorder{r}
}

func userMsg(text string) []Message { return []Message{{Role: RoleUser, Content: text}} }

func ptr[T any](v T) *T { return &v }

func TestGenerateValidation(t *testing.T) {
	tests := []struct {
		name      string
		req       Request
		wantKind  ErrorKind
		wantField string
		wantText  string
	}{
		{"no model", Request{Messages: userMsg("hi")}, KindInvalidRequest, "model", "list_models"},
		{"unknown model", Request{Model: "nova-prp", Messages: userMsg("hi")}, KindUnknownModel, "model", "nova-prp"},
		{"end of life", Request{Model: "old", Messages: userMsg("hi")}, KindEndOfLife, "model", `use "nova-pro"`},
		{"no messages", Request{Model: "nova-pro"}, KindInvalidRequest, "messages", "at least one"},
		{"bad role", Request{Model: "nova-pro", Messages: []Message{{Role: "bot", Content: "x"}}}, KindInvalidRequest, "messages[0].role", `"bot"`},
		{"empty content", Request{Model: "nova-pro", Messages: []Message{{Role: RoleUser, Content: "  "}}}, KindInvalidRequest, "messages[0].content", "empty"},
		{"assistant first", Request{Model: "nova-pro", Messages: []Message{{Role: RoleAssistant, Content: "x"}}}, KindInvalidRequest, "messages[0].role", "from the user"},
		{"only system", Request{Model: "nova-pro", Messages: []Message{{Role: RoleSystem, Content: "x"}}}, KindInvalidRequest, "messages", "user message"},
		{"temperature high", Request{Model: "nova-pro", Messages: userMsg("hi"), Temperature: ptr(1.5)}, KindInvalidRequest, "temperature", "0 to 1"},
		{"temperature negative", Request{Model: "nova-pro", Messages: userMsg("hi"), Temperature: ptr(-0.1)}, KindInvalidRequest, "temperature", "range"},
		{"top_p", Request{Model: "nova-pro", Messages: userMsg("hi"), TopP: ptr(2.0)}, KindInvalidRequest, "top_p", "0 to 1"},
		{"max_tokens above limit", Request{Model: "nova-pro", Messages: userMsg("hi"), MaxTokens: 5001}, KindInvalidRequest, "max_tokens", "1 to 5000"},
		{"max_tokens negative", Request{Model: "nova-pro", Messages: userMsg("hi"), MaxTokens: -1}, KindInvalidRequest, "max_tokens", "1 to 5000"},
		{"empty stop sequence", Request{Model: "nova-pro", Messages: userMsg("hi"), StopSequences: []string{""}}, KindInvalidRequest, "stop_sequences[0]", "empty"},
		{"input too large", Request{Model: "nova-pro", Messages: userMsg(strings.Repeat("x", 1<<20+1))}, KindInvalidRequest, "messages", "limit"},
		{"model name too long", Request{Model: strings.Repeat("m", MaxNameBytes+1), Messages: userMsg("hi")}, KindInvalidRequest, "model", "at most 256 bytes"},
		{"fallback name too long", Request{Model: "nova-pro", FallbackModels: []string{"old", strings.Repeat("m", 1<<20)}, Messages: userMsg("hi")}, KindInvalidRequest, "fallback_models[1]", "1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProvider{}
			g := newTestGateway(t, p, nil, nil)
			_, err := g.Generate(t.Context(), &tt.req)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Generate() error = %v, want *Error", err)
			}
			if e.Kind != tt.wantKind || e.Field != tt.wantField || !strings.Contains(e.Error(), tt.wantText) {
				t.Errorf("Generate() error = {%s %s %q}, want {%s %s ...%q...}", e.Kind, e.Field, e.Error(), tt.wantKind, tt.wantField, tt.wantText)
			}
			if n := p.calls.Load(); n != 0 {
				t.Errorf("provider called %d times for an invalid request, want 0", n)
			}
		})
	}
}

func TestGenerateBuildsCall(t *testing.T) {
	var got *Call
	p := &fakeProvider{fn: func(_ context.Context, c *Call) (*Completion, error) {
		got = c
		return &Completion{Content: "ok", FinishReason: FinishStop}, nil
	}}
	g := newTestGateway(t, p, nil, nil)
	_, err := g.Generate(t.Context(), &Request{
		Model:  "nova-pro",
		System: "be brief",
		Messages: []Message{
			{Role: RoleSystem, Content: "speak French"},
			{Role: RoleUser, Content: "hello"},
			{Role: RoleAssistant, Content: "bonjour"},
			{Role: RoleUser, Content: "again"},
		},
		Temperature:   ptr(0.2),
		StopSequences: []string{"END"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &Call{
		ModelID:        "us.amazon.nova-pro-v1:0",
		SupportsSystem: true,
		System:         []string{"be brief", "speak French"},
		Messages:       []Message{{Role: RoleUser, Content: "hello"}, {Role: RoleAssistant, Content: "bonjour"}, {Role: RoleUser, Content: "again"}},
		Temperature:    ptr(0.2),
		MaxTokens:      5000,
		StopSequences:  []string{"END"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Call mismatch (-want +got):\n%s", diff)
	}
}

func TestGenerateCachesAndPrices(t *testing.T) {
	p := &fakeProvider{}
	rec := &recorder{}
	g := newTestGateway(t, p, &mapCache{}, rec)
	req := &Request{Model: "nova-pro", Messages: userMsg("hi"), Agent: "a"}

	first, err := g.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	// 1000 input at $0.0008/1K + 500 output at $0.0032/1K = $0.0024.
	if first.Cached || first.EstimatedCostUSD == nil || *first.EstimatedCostUSD != 0.0024 {
		t.Errorf("first answer cached=%v cost=%v, want false 0.0024", first.Cached, first.EstimatedCostUSD)
	}
	second, err := g.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Cached || *second.EstimatedCostUSD != 0 || *second.SavedCostUSD != 0.0024 || second.Content != first.Content {
		t.Errorf("second answer = %+v, want cached, cost 0, saved 0.0024, same content", second)
	}
	if n := p.calls.Load(); n != 1 {
		t.Errorf("provider calls = %d, want 1", n)
	}
	if _, err := g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("hi"), NoCache: true}); err != nil {
		t.Fatal(err)
	}
	if n := p.calls.Load(); n != 2 {
		t.Errorf("provider calls after cache:false = %d, want 2", n)
	}
	wantCost := PicoFromUSD(0.0024)
	if e := rec.events[0]; e.Cost != wantCost || e.Cached || !e.Priced {
		t.Errorf("first event = %+v, want cost %d", e, wantCost)
	}
	if e := rec.events[1]; e.Cost != 0 || !e.Cached || e.Saved != wantCost {
		t.Errorf("second event = %+v, want cached with saved %d", e, wantCost)
	}
}

func TestGenerateUnpricedIsNotZero(t *testing.T) {
	g := newTestGateway(t, &fakeProvider{}, nil, nil)
	resp, err := g.Generate(t.Context(), &Request{Model: "free-model", Messages: userMsg("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.EstimatedCostUSD != nil {
		t.Errorf("EstimatedCostUSD = %v for an unpriced model, want nil", *resp.EstimatedCostUSD)
	}
}

func TestGenerateFailuresAreNotCached(t *testing.T) {
	fail := true
	p := &fakeProvider{fn: func(context.Context, *Call) (*Completion, error) {
		if fail {
			return nil, &Error{Kind: KindThrottled, Retryable: true, Message: "slow down"}
		}
		return &Completion{Content: "ok"}, nil
	}}
	g := newTestGateway(t, p, &mapCache{}, nil)
	req := &Request{Model: "nova-pro", Messages: userMsg("hi")}
	if _, err := g.Generate(t.Context(), req); KindOf(err) != KindThrottled {
		t.Fatalf("Generate() error = %v, want throttled", err)
	}
	fail = false
	resp, err := g.Generate(t.Context(), req)
	if err != nil || resp.Cached {
		t.Fatalf("Generate() after failure = %+v, %v; want a fresh answer", resp, err)
	}
}

func TestGenerateCoalescesIdenticalRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		p := &fakeProvider{fn: func(ctx context.Context, c *Call) (*Completion, error) {
			<-release
			return &Completion{Content: "shared", Usage: Usage{InputTokens: 1}}, nil
		}}
		rec := &recorder{}
		g := newTestGateway(t, p, &mapCache{}, rec)
		const n = 20
		var wg sync.WaitGroup
		results := make([]*Response, n)
		for i := range n {
			wg.Go(func() {
				r, err := g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("same")})
				if err != nil {
					t.Error(err)
				}
				results[i] = r
			})
		}
		synctest.Wait() // every request is now waiting on the one upstream call
		close(release)
		wg.Wait()
		if c := p.calls.Load(); c != 1 {
			t.Errorf("provider calls = %d, want 1", c)
		}
		fresh := 0
		for _, r := range results {
			if r != nil && !r.Cached {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("%d of %d answers were fresh, want exactly 1", fresh, n)
		}
	})
}

func TestGenerateCancelStopsSharedCallOnlyWhenAllLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		upstreamCancelled := make(chan struct{})
		p := &fakeProvider{fn: func(ctx context.Context, c *Call) (*Completion, error) {
			<-ctx.Done()
			close(upstreamCancelled)
			return nil, &Error{Kind: KindCanceled, Err: ctx.Err()}
		}}
		g := newTestGateway(t, p, nil, nil)
		ctx1, cancel1 := context.WithCancel(t.Context())
		ctx2, cancel2 := context.WithCancel(t.Context())
		errs := make(chan error, 2)
		for _, ctx := range []context.Context{ctx1, ctx2} {
			go func() {
				_, err := g.Generate(ctx, &Request{Model: "nova-pro", Messages: userMsg("x")})
				errs <- err
			}()
		}
		synctest.Wait()
		cancel1()
		synctest.Wait()
		select {
		case <-upstreamCancelled:
			t.Fatal("upstream call cancelled while a caller still waits")
		default:
		}
		cancel2()
		<-upstreamCancelled
		for range 2 {
			if err := <-errs; KindOf(err) != KindCanceled {
				t.Errorf("caller error = %v, want canceled", err)
			}
		}
		if n := p.calls.Load(); n != 1 {
			t.Errorf("upstream calls = %d, want 1", n)
		}
	})
}

func TestGenerateLeaderLeavingDoesNotFailOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		p := &fakeProvider{fn: func(ctx context.Context, c *Call) (*Completion, error) {
			select {
			case <-release:
				return &Completion{Content: "shared"}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}}
		g := newTestGateway(t, p, &mapCache{}, nil)
		leaderCtx, cancelLeader := context.WithCancel(t.Context())
		leader := make(chan error, 1)
		go func() {
			_, err := g.Generate(leaderCtx, &Request{Model: "nova-pro", Messages: userMsg("x")})
			leader <- err
		}()
		synctest.Wait() // the leader is calling upstream
		follower := make(chan *Response, 1)
		go func() {
			r, err := g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("x")})
			if err != nil {
				t.Error(err)
			}
			follower <- r
		}()
		synctest.Wait()
		cancelLeader()
		synctest.Wait()
		close(release)
		if r := <-follower; r == nil || r.Content != "shared" || !r.Cached {
			t.Errorf("follower got %+v, want the shared answer", r)
		}
		if err := <-leader; KindOf(err) != KindCanceled {
			t.Errorf("leader error = %v, want canceled", err)
		}
	})
}

func TestGenerateTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &fakeProvider{fn: func(ctx context.Context, c *Call) (*Completion, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}
		g, err := New(Options{Catalog: testModels, Provider: p, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.Generate(t.Context(), &Request{Model: "nova-pro", Messages: userMsg("x")})
		if KindOf(err) != KindTimeout {
			t.Errorf("Generate() error = %v, want timeout", err)
		}
	})
}

func TestCacheKeyCoversEveryField(t *testing.T) {
	base := Call{ModelID: "m", SupportsSystem: true, System: []string{"s"}, Messages: []Message{{Role: RoleUser, Content: "ab"}}, Temperature: ptr(0.5), TopP: ptr(0.9), MaxTokens: 10, StopSequences: []string{"x"}}
	variants := map[string]func(c *Call){
		"model":       func(c *Call) { c.ModelID = "n" },
		"system flag": func(c *Call) { c.SupportsSystem = false },
		"system":      func(c *Call) { c.System = []string{"t"} },
		"split text":  func(c *Call) { c.Messages = []Message{{Role: RoleUser, Content: "a"}, {Role: RoleUser, Content: "b"}} },
		"role":        func(c *Call) { c.Messages = []Message{{Role: RoleAssistant, Content: "ab"}} },
		"temperature": func(c *Call) { c.Temperature = nil },
		"temp value":  func(c *Call) { c.Temperature = ptr(0.6) },
		"top_p":       func(c *Call) { c.TopP = nil },
		"max tokens":  func(c *Call) { c.MaxTokens = 11 },
		"stop":        func(c *Call) { c.StopSequences = nil },
		"image bytes": func(c *Call) {
			c.Messages = []Message{{Role: RoleUser, Blocks: []Block{{Type: BlockImage, Format: "png", Data: []byte{1, 2}}}}}
		},
		"other image": func(c *Call) {
			c.Messages = []Message{{Role: RoleUser, Blocks: []Block{{Type: BlockImage, Format: "png", Data: []byte{1, 3}}}}}
		},
		"tool call id": func(c *Call) { c.Messages = []Message{{Role: RoleUser, Content: "ab", ToolCallID: "x"}} },
		"tools":        func(c *Call) { c.Tools = []Tool{{Name: "f", InputSchema: json.RawMessage(`{}`)}} },
		"tool choice":  func(c *Call) { c.ToolChoice = &ToolChoice{Mode: ToolChoiceAny} },
		"cache system": func(c *Call) { c.CacheSystem = true },
		"cache tools":  func(c *Call) { c.CacheTools = true },
		"guardrail":    func(c *Call) { c.Guardrail = &Guardrail{ID: "g", Version: "1"} },
		"extra fields": func(c *Call) { c.AdditionalFields = json.RawMessage(`{"top_k":5}`) },
	}
	seen := map[string]string{cacheKey(&base): "base"}
	for name, change := range variants {
		c := base
		change(&c)
		k := cacheKey(&c)
		if other, dup := seen[k]; dup {
			t.Errorf("variant %q has the same key as %q", name, other)
		}
		seen[k] = name
	}
	again := base
	if cacheKey(&again) != cacheKey(&base) {
		t.Error("cacheKey is not deterministic")
	}
}

func TestNamesAreBoundedInEvents(t *testing.T) {
	rec := &recorder{}
	g := newTestGateway(t, &fakeProvider{}, nil, rec)
	long := strings.Repeat("é", 1<<19) // 1 MiB of a two-byte character
	if _, err := g.Generate(t.Context(), &Request{Model: "nova-pro", Agent: long, Messages: userMsg("hi")}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Generate(t.Context(), &Request{Model: long, Messages: userMsg("hi")}); KindOf(err) != KindInvalidRequest {
		t.Fatalf("1 MiB model name: %v, want invalid_request", err)
	}
	for _, e := range rec.events {
		if len(e.Agent) > MaxNameBytes || len(e.Model) > MaxNameBytes {
			t.Errorf("event with a %d-byte agent and a %d-byte model; want at most %d", len(e.Agent), len(e.Model), MaxNameBytes)
		}
		if !utf8.ValidString(e.Agent) || !utf8.ValidString(e.Model) {
			t.Errorf("a name cut inside a character: %q", e.Agent[len(e.Agent)-8:])
		}
	}
}

func TestContextWindowCheckedBeforeTheCall(t *testing.T) {
	small := fakeCatalog{"small": {Name: "small", ID: "x.small-v1", MaxOutputTokens: 100, MaxTemperature: 1, Status: StatusActive, ContextWindow: 100}}
	p := &fakeProvider{}
	g, err := New(Options{Catalog: small, Provider: p})
	if err != nil {
		t.Fatal(err)
	}
	// 600 bytes may be 100 tokens or fewer: Bedrock judges.
	if _, err := g.Generate(t.Context(), &Request{Model: "small", Messages: userMsg(strings.Repeat("word ", 120))}); err != nil {
		t.Fatalf("a request that may fit: %v", err)
	}
	_, err = g.Generate(t.Context(), &Request{Model: "small", Messages: userMsg(strings.Repeat("word ", 1000))})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindInvalidRequest || !strings.Contains(e.Message, "at least 833 tokens") || !strings.Contains(e.Message, "context window of small (100 tokens)") {
		t.Fatalf("a request far past the window: %v", err)
	}
	if n := p.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1 (the refused request never reaches it)", n)
	}
}
