package bedrock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/testport"
)

// The tests in this file prove that Client.Converse, which takes the lean
// path (lean.go), sends Bedrock what the SDK's own Converse sends and
// returns what it returns: for each call, the same request goes once
// through c.rt.Converse (the SDK, the reference) and once through
// c.Converse, and the simulator's view of both is compared.

// wire is a request as the simulator received it.
type wire struct {
	method, path string
	header       http.Header
	body         []byte
}

// recorder keeps the requests that reach the simulator.
type recorder struct {
	mu   sync.Mutex
	reqs []wire
}

func (rec *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, wire{r.Method, r.URL.EscapedPath(), r.Header.Clone(), body})
		rec.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// last returns the last request and forgets them all.
func (rec *recorder) last(t *testing.T) wire {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) == 0 {
		t.Fatal("no request reached the simulator")
	}
	w := rec.reqs[len(rec.reqs)-1]
	rec.reqs = nil
	return w
}

var (
	signatureRE  = regexp.MustCompile(`, Signature=[0-9a-f]{64}$`)
	scopeDateRE  = regexp.MustCompile(`/\d{8}/`)
	uuidRE       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	amzDateRE    = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
	signedHdrsRE = regexp.MustCompile(`SignedHeaders=([a-z0-9;-]+)`)
	requestIDRE  = regexp.MustCompile(`RequestID: [^,]*`)
)

// sameWire reports how lean's request differs from the SDK's: method,
// escaped path, body bytes, header names and values. What is new on
// every request (date, signature, invocation ID) is checked for its form
// instead; the signature itself the simulator has verified.
func sameWire(t *testing.T, sdk, lean wire) {
	t.Helper()
	if sdk.method != lean.method || sdk.path != lean.path {
		t.Errorf("request line: lean %s %s, SDK %s %s", lean.method, lean.path, sdk.method, sdk.path)
	}
	if !bytes.Equal(sdk.body, lean.body) {
		t.Errorf("body differs (-SDK +lean):\n%s", cmp.Diff(string(sdk.body), string(lean.body)))
	}
	norm := func(h http.Header) http.Header {
		h = h.Clone()
		for k, f := range map[string]func(string) string{
			"Authorization": func(v string) string {
				return scopeDateRE.ReplaceAllString(signatureRE.ReplaceAllString(v, ", Signature=…"), "/DATE/")
			},
			"X-Amz-Date":            func(v string) string { return amzDateRE.ReplaceAllString(v, "DATE") },
			"Amz-Sdk-Invocation-Id": func(v string) string { return uuidRE.ReplaceAllString(v, "UUID") },
		} {
			if v := h.Get(k); v != "" {
				h.Set(k, f(v))
			}
		}
		return h
	}
	if diff := cmp.Diff(norm(sdk.header), norm(lean.header)); diff != "" {
		t.Errorf("headers differ (-SDK +lean):\n%s", diff)
	}
	required := []string{"Authorization", "Content-Type", "User-Agent", "Amz-Sdk-Invocation-Id"}
	for _, h := range required {
		if lean.header.Get(h) == "" {
			t.Errorf("lean request has no %s header", h)
		}
	}
	if authz := lean.header.Get("Authorization"); strings.HasPrefix(authz, "Bearer ") {
		return // a Bedrock API key: no signature, no date
	}
	if lean.header.Get("X-Amz-Date") == "" {
		t.Errorf("lean request has no X-Amz-Date header")
	}
	if m := signedHdrsRE.FindStringSubmatch(lean.header.Get("Authorization")); m == nil || !strings.Contains(m[1], "x-amz-date") || !strings.Contains(m[1], "host") {
		t.Errorf("lean Authorization %q does not sign host and x-amz-date", lean.header.Get("Authorization"))
	}
}

// leanCases are calls beyond the golden ones: what the request mapping
// does not cover on its own (model IDs that need escaping, service tier,
// strings JSON must escape, numbers of documents).
var leanCases = []struct {
	name string
	call gateway.Call
}{
	{"inference profile ARN", gateway.Call{ModelID: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3/x y", SupportsSystem: true,
		Messages: []gateway.Message{user("Hi")}}},
	{"service tier", gateway.Call{ModelID: novaPro, SupportsSystem: true, ServiceTier: "flex",
		Messages: []gateway.Message{user("Hi [sim:served-tier=flex]")}}},
	{"escapes", gateway.Call{ModelID: novaPro, SupportsSystem: true,
		System: []string{"quote \" backslash \\ tab \t nl \n cr \r bell \a del \x7f <html> & é 😀 \u2028 \u2029"},
		Messages: []gateway.Message{user("bad utf-8 \xff\xfe then \x00 nul"), assistant("ok"),
			{Role: gateway.RoleUser, Content: "[sim:echo]"}},
		StopSequences: []string{"\u0001", "</s>"}}},
	{"floats", gateway.Call{ModelID: novaPro, SupportsSystem: true, Temperature: ptr(0.1), TopP: ptr(1e-7), MaxTokens: 1,
		Messages: []gateway.Message{user("Hi")}}},
	{"documents", gateway.Call{ModelID: novaPro, SupportsSystem: true,
		AdditionalFields: json.RawMessage(`{"b":[true,false,null,-0,1E400,"\u00e9\ud83d\ude00"],"a":{"z":1,"y":{}}}`),
		Tools:            []gateway.Tool{{Name: "f", InputSchema: json.RawMessage(`{"type":"object","properties":{}}`)}},
		ToolChoice:       &gateway.ToolChoice{Mode: gateway.ToolChoiceAny},
		Messages:         []gateway.Message{user("Hi")}}},
}

// TestLeanSendsWhatSDKSends: for every golden call (request mapping and
// wire) and the cases above, Bedrock receives the same method, path,
// headers and body bytes from the lean path as from the SDK, signed with
// a session token; and both return the same completion.
func TestLeanSendsWhatSDKSends(t *testing.T) {
	rec := &recorder{}
	_, srv := startSim(t, rec.wrap)
	c, err := New(t.Context(), Options{
		Endpoint: srv.URL, Region: simRegion, MaxAttempts: 1, HTTPClient: srv.Client(), Logger: testLogger(t),
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, "session-token"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.lean == nil {
		t.Fatal("a SigV4 client has no lean path")
	}
	type namedCall struct {
		name string
		call gateway.Call
	}
	var calls []namedCall
	for _, tc := range buildCases {
		calls = append(calls, namedCall{"input/" + tc.name, tc.call})
	}
	for _, tc := range wireCases {
		tc.call.ModelID = novaPro
		calls = append(calls, namedCall{"wire/" + tc.name, tc.call})
	}
	for _, tc := range leanCases {
		calls = append(calls, namedCall{tc.name, tc.call})
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			in, err := buildInput(&tc.call)
			if err != nil {
				t.Fatal(err)
			}
			sdkOut, sdkErr := c.rt.Converse(t.Context(), in)
			sdkReq := rec.last(t)
			got, leanErr := c.Converse(t.Context(), &tc.call)
			leanReq := rec.last(t)
			sameWire(t, sdkReq, leanReq)
			if leanReq.header.Get("X-Amz-Security-Token") != "session-token" {
				t.Errorf("lean request carries no session token")
			}
			if sdkErr != nil || leanErr != nil {
				sameError(t, c, tc.call.ModelID, sdkErr, leanErr)
				return
			}
			want, _ := completion(sdkOut)
			sameCompletion(t, want, got)
		})
	}
}

// sameCompletion compares completions but for latency and for whether
// cached tokens were written or read: the simulator keeps a prompt cache,
// so the second of two identical calls reads what the first wrote.
func sameCompletion(t *testing.T, want, got *gateway.Completion) {
	t.Helper()
	cached := func(u gateway.Usage) gateway.Usage {
		u.CacheReadTokens, u.CacheWriteTokens = u.CacheReadTokens+u.CacheWriteTokens, 0
		return u
	}
	opts := cmp.Options{
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Latency" }, cmp.Ignore()),
		cmp.Transformer("cached", cached),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("completion differs (-SDK +lean):\n%s", diff)
	}
}

// sameError checks that the lean path's failure is classified as the
// SDK's is: kind, retryability and message.
func sameError(t *testing.T, c *Client, model string, sdkErr, leanErr error) {
	t.Helper()
	if (sdkErr == nil) != (leanErr == nil) {
		t.Fatalf("SDK error %v, lean error %v", sdkErr, leanErr)
	}
	want := classify(t.Context(), model, c.region, sdkErr)
	var got *gateway.Error
	if !errors.As(leanErr, &got) {
		t.Fatalf("lean error %v is not a *gateway.Error", leanErr)
	}
	if got.Kind != want.Kind || got.Retryable != want.Retryable || requestIDRE.ReplaceAllString(got.Message, "") != requestIDRE.ReplaceAllString(want.Message, "") {
		t.Errorf("lean error %q (%s, retryable %v), SDK's %q (%s, retryable %v)",
			got.Message, got.Kind, got.Retryable, want.Message, want.Kind, want.Retryable)
	}
}

// TestLeanAnswersAsSDK: answers (text, tool calls, usage with cache
// tokens, served tier, stop reasons) and failures (every fault the
// simulator makes) come back from the lean path as from the SDK.
func TestLeanAnswersAsSDK(t *testing.T) {
	rec := &recorder{}
	_, srv := startSim(t, rec.wrap)
	c := newTestClient(t, srv, 1)
	tools := []gateway.Tool{{Name: "get_weather", InputSchema: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"n":{"type":"number"}}}`)}}
	calls := map[string]*gateway.Call{
		"text":                  ask("Hello [sim:reply=Hi there]"),
		"tool call":             {ModelID: novaPro, SupportsSystem: true, Tools: tools, Messages: []gateway.Message{user(`Weather? [sim:tool=get_weather:{"city":"Paris","n":1.50,"z":{"b":1,"a":2}}]`)}},
		"tool call from schema": {ModelID: novaPro, SupportsSystem: true, Tools: tools, Messages: []gateway.Message{user(`Weather? [sim:tool=get_weather]`)}},
		"cache tokens": {ModelID: novaPro, SupportsSystem: true, CacheSystem: true, System: []string{"A long system prompt."},
			Messages: []gateway.Message{user("Hi")}},
		"served tier":     ask("Hi [sim:served-tier=priority]"),
		"max tokens":      {ModelID: novaPro, SupportsSystem: true, MaxTokens: 2, Messages: []gateway.Message{user("Write an essay")}},
		"guardrail":       ask("[sim:guardrail]"),
		"unmapped reason": ask("[sim:guardrail=malformed_model_output]"),
		"unknown model":   {ModelID: "no-such-model", Messages: []gateway.Message{user("hi")}},
	}
	for _, marker := range []string{"[sim:throttle]", "[sim:error=429]", "[sim:not-ready]", "[sim:error=500]", "[sim:error=503]",
		"[sim:error=424]", "[sim:error=408]", "[sim:timeout]", "[sim:error=403]", "[sim:error=404]", "[sim:error=400]",
		"[sim:no-such-marker]", "[sim:drop]", "[sim:not-json]", "[sim:truncate]"} {
		calls[marker] = ask("Hello " + marker)
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			in, err := buildInput(call)
			if err != nil {
				t.Fatal(err)
			}
			sdkOut, sdkErr := c.rt.Converse(t.Context(), in)
			got, leanErr := c.Converse(t.Context(), call)
			if sdkErr != nil || leanErr != nil {
				sameError(t, c, call.ModelID, sdkErr, leanErr)
				return
			}
			want, _ := completion(sdkOut)
			sameCompletion(t, want, got)
		})
	}
}

// TestLeanUserAgentAppID: the application ID of the AWS configuration
// (AWS_SDK_UA_APP_ID, sdk_ua_app_id) is in the lean path's User-Agent
// as in the SDK's.
func TestLeanUserAgentAppID(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_SDK_UA_APP_ID", "my-app")
	rec := &recorder{}
	_, srv := startSim(t, rec.wrap)
	c, err := New(t.Context(), Options{Endpoint: srv.URL, Region: simRegion, MaxAttempts: 1, HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, "")})
	if err != nil {
		t.Fatal(err)
	}
	call := ask("[sim:reply=ok]")
	in, _ := buildInput(call)
	if _, err := c.rt.Converse(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	sdkReq := rec.last(t)
	if _, err := c.Converse(t.Context(), call); err != nil {
		t.Fatal(err)
	}
	leanReq := rec.last(t)
	if ua := leanReq.header.Get("User-Agent"); !strings.Contains(ua, " app/my-app") {
		t.Errorf("lean User-Agent %q does not name the app ID", ua)
	}
	sameWire(t, sdkReq, leanReq)
}

// TestLeanRetryHeaders: each attempt says which it is (amz-sdk-request),
// as the SDK's do, and keeps the call's invocation ID.
func TestLeanRetryHeaders(t *testing.T) {
	rec := &recorder{}
	_, srv := startSim(t, rec.wrap)
	c := newTestClient(t, srv, 3)
	if _, err := c.Converse(t.Context(), ask("Count sheep [sim:throttle=2]")); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	reqs := slices.Clone(rec.reqs)
	rec.mu.Unlock()
	var attempts, ids []string
	for _, r := range reqs {
		attempts = append(attempts, r.header.Get("Amz-Sdk-Request"))
		ids = append(ids, r.header.Get("Amz-Sdk-Invocation-Id"))
	}
	if want := []string{"attempt=1; max=3", "attempt=2; max=3", "attempt=3; max=3"}; !slices.Equal(attempts, want) {
		t.Errorf("amz-sdk-request headers %q, want %q", attempts, want)
	}
	if len(slices.Compact(ids)) != 1 || ids[0] == "" {
		t.Errorf("invocation IDs %q, want one for the call", ids)
	}
}

// TestLeanClockSkew: a signature refused because the local clock is off
// (the answer's Date says by how much) is retried with the signing time
// corrected, and the next call is signed corrected from the start, as the
// SDK does. The server here is a stand-in whose clock is 20 minutes ahead
// (the simulator checks signatures against the local clock).
func TestLeanClockSkew(t *testing.T) {
	const skew = 20 * time.Minute
	var mu sync.Mutex
	var attempts int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts++
		mu.Unlock()
		serverNow := time.Now().Add(skew)
		w.Header().Set("Date", serverNow.UTC().Format(http.TimeFormat))
		signed, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil || serverNow.Sub(signed).Abs() > 5*time.Minute {
			w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"Signature expired"}`)
			return
		}
		_, _ = io.WriteString(w, `{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`)
	}))
	t.Cleanup(srv.Close)
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := attempts
		attempts = 0
		return n
	}
	c := newTestClient(t, srv, 3)
	call := ask("hi")
	in, _ := buildInput(call)
	for _, p := range []struct {
		name     string
		converse func() error
	}{
		{"sdk", func() error { _, err := c.rt.Converse(t.Context(), in); return err }},
		{"lean", func() error { _, err := c.Converse(t.Context(), call); return err }},
	} {
		if err := p.converse(); err != nil {
			t.Fatalf("%s: first call: %v", p.name, err)
		}
		if n := count(); n != 2 {
			t.Errorf("%s: first call made %d attempts, want 2 (refused, then corrected)", p.name, n)
		}
		if err := p.converse(); err != nil {
			t.Fatalf("%s: second call: %v", p.name, err)
		}
		if n := count(); n != 1 {
			t.Errorf("%s: second call made %d attempts, want 1 (signed corrected from the start)", p.name, n)
		}
	}
}

// TestLeanRetryQuotaRefund: a call that succeeds after a retry gives its
// retry token back to the client's quota, as with the SDK; otherwise the
// quota (500, 5 a retry) would run dry after some 100 such calls and later
// calls would get one attempt only.
func TestLeanRetryQuotaRefund(t *testing.T) {
	for _, p := range []string{"sdk", "lean"} {
		t.Run(p, func(t *testing.T) {
			_, srv := startSim(t, nil)
			c := newTestClient(t, srv, 2)
			for i := range 200 {
				call := ask(fmt.Sprintf("Count sheep %d [sim:throttle=1]", i))
				var err error
				if p == "sdk" {
					in, _ := buildInput(call)
					_, err = c.rt.Converse(t.Context(), in)
				} else {
					_, err = c.Converse(t.Context(), call)
				}
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
		})
	}
}

// TestLeanReusesConnections: calls one after another share one
// connection to Bedrock (answers are read to their end and closed), over
// HTTP/1.1 and, where the server offers it over TLS, HTTP/2, as the SDK's
// do; the requests are the SDK's over HTTP/2 too.
func TestLeanReusesConnections(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			rec := &recorder{}
			sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: simKeyID, SecretAccessKey: simSecret, Region: simRegion})
			var mu sync.Mutex
			conns, protos := 0, map[int]int{}
			srv := httptest.NewUnstartedServer(rec.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				protos[r.ProtoMajor]++
				mu.Unlock()
				sim.ServeHTTP(w, r)
			})))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					mu.Lock()
					conns++
					mu.Unlock()
				}
			}
			if h2 {
				srv.EnableHTTP2 = true
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			c := newTestClient(t, srv, 1)
			for i := range 20 {
				if _, err := c.Converse(t.Context(), ask(fmt.Sprintf("Hello %d", i))); err != nil {
					t.Fatal(err)
				}
			}
			leanReq := rec.last(t)
			in, _ := buildInput(ask("Hello 19"))
			if _, err := c.rt.Converse(t.Context(), in); err != nil {
				t.Fatal(err)
			}
			sameWire(t, rec.last(t), leanReq)
			mu.Lock()
			defer mu.Unlock()
			if conns != 1 {
				t.Errorf("21 calls opened %d connections, want 1", conns)
			}
			want := 1
			if h2 {
				want = 2
			}
			if protos[want] != 21 {
				t.Errorf("requests by HTTP major version %v, want all 21 over HTTP/%d", protos, want)
			}
		})
	}
}

// TestLeanBearerToken: with a Bedrock API key, from the options or from
// AWS_BEARER_TOKEN_BEDROCK, the lean path sends what the SDK sends (the
// key as a bearer token, over TLS) and fails as it does: the simulator
// takes SigV4 only, so both are refused alike.
func TestLeanBearerToken(t *testing.T) {
	for _, fromEnv := range []bool{false, true} {
		t.Run(fmt.Sprintf("env=%v", fromEnv), func(t *testing.T) {
			isolateAWSEnv(t)
			rec := &recorder{}
			sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: simKeyID, SecretAccessKey: simSecret, Region: simRegion})
			srv := httptest.NewTLSServer(rec.wrap(sim))
			t.Cleanup(srv.Close)
			opts := Options{Region: simRegion, Endpoint: srv.URL, MaxAttempts: 1, HTTPClient: srv.Client()}
			if fromEnv {
				t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key")
			} else {
				opts.BearerToken = "bedrock-api-key"
			}
			c, err := New(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.lean == nil || c.lean.scheme != schemeBearer {
				t.Fatalf("lean path %+v, want one signing with the API key", c.lean)
			}
			call := ask("hi")
			in, _ := buildInput(call)
			_, sdkErr := c.rt.Converse(t.Context(), in)
			sdkReq := rec.last(t)
			_, leanErr := c.Converse(t.Context(), call)
			leanReq := rec.last(t)
			if got := leanReq.header.Get("Authorization"); got != "Bearer bedrock-api-key" {
				t.Errorf("Authorization = %q, want the API key as a bearer token", got)
			}
			sameWire(t, sdkReq, leanReq)
			sameError(t, c, novaPro, sdkErr, leanErr)
		})
	}
	t.Run("no TLS", func(t *testing.T) {
		isolateAWSEnv(t)
		_, srv := startSim(t, nil)
		c, err := New(t.Context(), Options{Region: simRegion, Endpoint: srv.URL, MaxAttempts: 1, BearerToken: "k", HTTPClient: srv.Client()})
		if err != nil {
			t.Fatal(err)
		}
		in, _ := buildInput(ask("hi"))
		_, sdkErr := c.rt.Converse(t.Context(), in)
		_, leanErr := c.Converse(t.Context(), ask("hi"))
		if sdkErr == nil || leanErr == nil {
			t.Fatalf("a bearer token over plain HTTP: SDK %v, lean %v; want both refused", sdkErr, leanErr)
		}
		sameError(t, c, novaPro, sdkErr, leanErr)
	})
}

// TestLeanOneWritePerRequest: the lean path's request leaves in one write,
// headers and body together (net/http flushes the headers of a body it
// does not know to be in memory on their own first: a second write and
// packet on every miss).
func TestLeanOneWritePerRequest(t *testing.T) {
	_, srv := startSim(t, nil)
	var writes atomic.Int64
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return testport.CountingConn{Conn: conn, Writes: &writes}, nil
	}}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := New(t.Context(), Options{
		Endpoint: srv.URL, Region: simRegion, MaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, ""),
		HTTPClient:  &http.Client{Transport: tr},
		Logger:      testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	const calls = 5
	for i := range calls {
		if _, err := c.Converse(t.Context(), ask(fmt.Sprintf("Hello %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if got := writes.Load(); got != calls {
		t.Errorf("%d calls made %d writes, want one each", calls, got)
	}
}
