package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/fleet/redistest"
	"github.com/llm-gateway/llm-gateway/internal/postgres/pgtest"
)

// fleetReplicas starts n HTTP replicas on one Redis and one simulator.
func fleetReplicas(t *testing.T, n int, simURL string, extra ...string) ([]*httpGateway, string) {
	t.Helper()
	url, prefix := redistest.URL(t)
	env := gatewayEnv(simURL, append([]string{"REDIS_URL=" + url, "REDIS_PREFIX=" + prefix, "ALLOW_INSECURE_NO_AUTH=true", "LOG_LEVEL=INFO"}, extra...)...)
	replicas := make([]*httpGateway, n)
	for i := range replicas {
		replicas[i] = startHTTPGateway(t, env)
	}
	return replicas, prefix
}

func generateOn(ctx context.Context, t *testing.T, g *httpGateway, prompt string) (generateResult, error) {
	s := httpSession(t, g, "", false)
	res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "generate", Arguments: map[string]any{
		"model": "nova-micro", "messages": user(prompt),
	}})
	if err != nil {
		return generateResult{}, err
	}
	if res.IsError {
		return generateResult{}, fmt.Errorf("tool error: %s", text(res))
	}
	var r generateResult
	raw, _ := json.Marshal(res.StructuredContent)
	return r, json.Unmarshal(raw, &r)
}

// TestFleetIdenticalRequestsShareOneCall: 60 identical requests spread over
// three replicas make one upstream call; a repeat through any replica is a
// cache hit.
func TestFleetIdenticalRequestsShareOneCall(t *testing.T) {
	sim, simURL := startSim(t)
	replicas, _ := fleetReplicas(t, 3, simURL)
	shareOneCall(t, sim, replicas)
}

// TestFleetOnRedisCluster: the same through replicas on a Redis Cluster of
// three primaries (REDIS_CLUSTER=true).
func TestFleetOnRedisCluster(t *testing.T) {
	sim, simURL := startSim(t)
	env := gatewayEnv(simURL, "REDIS_URL="+redistest.Cluster(t), "REDIS_CLUSTER=true", "ALLOW_INSECURE_NO_AUTH=true", "LOG_LEVEL=INFO")
	replicas := []*httpGateway{startHTTPGateway(t, env), startHTTPGateway(t, env), startHTTPGateway(t, env)}
	shareOneCall(t, sim, replicas)
	for i, g := range replicas {
		if body := readyzBody(t, g); strings.Contains(body, "degraded") {
			t.Errorf("replica %d /readyz = %q, want plain ready", i, body)
		}
	}
}

// shareOneCall sends 60 identical requests spread over the replicas at
// once: one upstream call, and a repeat through any replica is a hit.
func shareOneCall(t *testing.T, sim *bedrocksim.Server, replicas []*httpGateway) {
	t.Helper()
	const requests = 60
	prompt := "one question for the whole fleet [sim:latency=300ms]"
	var wg sync.WaitGroup
	results := make([]generateResult, requests)
	for i := range requests {
		wg.Go(func() {
			r, err := generateOn(t.Context(), t, replicas[i%len(replicas)], prompt)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	if got := sim.Calls(); got != 1 {
		t.Errorf("upstream calls for %d identical requests over %d replicas = %d, want 1", requests, len(replicas), got)
	}
	fresh := 0
	for i, r := range results {
		if !r.Cached {
			fresh++
		}
		if r.Content != results[0].Content {
			t.Errorf("request %d got %q, request 0 got %q", i, r.Content, results[0].Content)
		}
	}
	if fresh != 1 {
		t.Errorf("%d of %d answers were fresh, want exactly 1", fresh, requests)
	}
	for i, g := range replicas {
		r, err := generateOn(t.Context(), t, g, prompt)
		if err != nil || !r.Cached {
			t.Errorf("repeat through replica %d = %+v, %v; want a cache hit", i, r, err)
		}
	}
	if got := sim.Calls(); got != 1 {
		t.Errorf("upstream calls after repeats = %d, want still 1", got)
	}
}

// TestFleetReplicaKilledHoldingTheLock: the replica making the shared call
// is killed with SIGKILL; another replica waiting on it takes the call over
// once the lock expires, and answers.
func TestFleetReplicaKilledHoldingTheLock(t *testing.T) {
	var seen atomic.Int64
	// The first call reaches Bedrock and hangs until the test ends.
	url, first := startHangingSim(t, func(*http.Request) bool { return seen.Add(1) == 1 })
	replicas, _ := fleetReplicas(t, 2, url, "REDIS_LOCK_TTL=1s", "REQUEST_TIMEOUT=60s")
	holder, other := replicas[0], replicas[1]

	prompt := "asked twice, answered once the holder is gone"
	go generateOn(context.Background(), t, holder, prompt) //nolint:errcheck // its answer is lost with it
	<-first                                                // holder has the lock and is calling Bedrock

	type outcome struct {
		r   generateResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		r, err := generateOn(t.Context(), t, other, prompt)
		done <- outcome{r, err}
	}()
	_ = holder.cmd.Process.Kill()
	killed := time.Now()
	// Bounded: a 1s lock plus one simulated call; the limit only ends a test
	// that would otherwise hang.
	select {
	case o := <-done:
		if o.err != nil || o.r.Cached {
			t.Fatalf("the other replica answered %+v, %v; want a fresh answer of its own", o.r, o.err)
		}
		t.Logf("the other replica answered %s after the holder died (lock TTL 1s)", time.Since(killed).Round(time.Millisecond))
	case <-time.After(45 * time.Second):
		t.Fatal("the other replica did not answer after the lock holder died")
	}
	if got := seen.Load(); got != 2 {
		t.Errorf("calls reaching Bedrock = %d, want 2 (the dead holder's and the takeover)", got)
	}
}

// fleetCall calls generate through replica g with key, and returns the
// answer's cost, or the refusal's kind.
func fleetCall(ctx context.Context, t *testing.T, g *httpGateway, key string, args map[string]any) (cost float64, kind string, err error) {
	s := httpSession(t, g, key, false)
	res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "generate", Arguments: args})
	if err != nil {
		return 0, "", err
	}
	if res.IsError {
		meta, _ := res.Meta["llm-gateway/error"].(map[string]any)
		k, _ := meta["kind"].(string)
		return 0, k, nil
	}
	var r struct {
		Cost *float64 `json:"estimated_cost_usd"`
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, &r); err != nil || r.Cost == nil {
		return 0, "", fmt.Errorf("answer without a cost: %s", raw)
	}
	return *r.Cost, "", nil
}

// TestFleetBudgetNeverOvershot: one agent calls through three replicas at
// once, with worst cases far past its budget; the recorded spend ends at or
// under the budget, and what did not fit was refused.
func TestFleetBudgetNeverOvershot(t *testing.T) {
	_, simURL := startSim(t)
	const budget = 0.00002 // a few worst cases of nova-micro at max_tokens 20
	policyFile := writePolicy(t, fmt.Sprintf("agents:\n  runner:\n    budget: { daily_usd: %.5f }\n", budget))
	replicas, _ := fleetReplicas(t, 3, simURL, "POLICY_FILE="+policyFile, "API_KEYS=runner:runner-key-0123456789")
	const calls = 30
	var mu sync.Mutex
	spent, answered, refused := 0.0, 0, 0
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			cost, kind, err := fleetCall(t.Context(), t, replicas[i%len(replicas)], "runner-key-0123456789", map[string]any{
				"model": "nova-micro", "max_tokens": 20,
				"messages": user(fmt.Sprintf("question %d [sim:latency=500ms]", i)),
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("call %d: %v", i, err)
			case kind == "budget_exceeded":
				refused++
			case kind != "":
				t.Errorf("call %d refused with %s, want an answer or budget_exceeded", i, kind)
			default:
				answered++
				spent += cost
			}
		})
	}
	wg.Wait()
	t.Logf("%d answered for $%.9f, %d refused", answered, spent, refused)
	if spent > budget*(1+1e-9) {
		t.Errorf("spend through 3 replicas = $%.9f, over the budget of $%g", spent, budget)
	}
	if answered == 0 || refused == 0 || answered+refused != calls {
		t.Errorf("%d answered, %d refused of %d; want some of each, all accounted for", answered, refused, calls)
	}
}

// TestFleetRateLimitAcrossReplicas: requests_per_minute counts the calls
// an agent makes through every replica.
func TestFleetRateLimitAcrossReplicas(t *testing.T) {
	_, simURL := startSim(t)
	const rpm = 5
	policyFile := writePolicy(t, fmt.Sprintf("agents:\n  runner:\n    requests_per_minute: %d\n", rpm))
	replicas, _ := fleetReplicas(t, 3, simURL, "POLICY_FILE="+policyFile, "API_KEYS=runner:runner-key-0123456789")
	// A minute that turns during the burst resets the count; such a round
	// is run again with a fresh agent window (bounded).
	for round := range 3 {
		start := time.Now()
		admitted, limited := 0, 0
		for i := range 4 * rpm {
			_, kind, err := fleetCall(t.Context(), t, replicas[i%len(replicas)], "runner-key-0123456789", map[string]any{
				"model": "nova-micro", "messages": user(fmt.Sprintf("round %d call %d", round, i)),
			})
			switch {
			case err != nil:
				t.Fatal(err)
			case kind == "rate_limited":
				limited++
			case kind == "":
				admitted++
			default:
				t.Fatalf("call %d refused with %s", i, kind)
			}
		}
		if start.Truncate(time.Minute) != time.Now().Truncate(time.Minute) {
			t.Logf("round %d crossed a minute; again", round)
			continue
		}
		if round == 0 && admitted != rpm || limited != 4*rpm-admitted {
			t.Errorf("round %d: %d admitted and %d rate limited through 3 replicas, want exactly %d admitted", round, admitted, limited, rpm)
		}
		if round > 0 && admitted > rpm {
			t.Errorf("round %d: %d admitted, more than %d a minute", round, admitted, rpm)
		}
		return
	}
	t.Fatal("three rounds each crossed a minute")
}

// TestFleetRedisStopsAndReturns: with Redis stopped, every call still gets
// its answer from the replica's own state and /readyz names the outage;
// once Redis is back, the replicas share again by themselves.
func TestFleetRedisStopsAndReturns(t *testing.T) {
	_, simURL := startSim(t)
	redisTest := redistest.NewServer(t)
	redisTest.Start()
	env := gatewayEnv(simURL, "REDIS_URL="+redisTest.URL, "ALLOW_INSECURE_NO_AUTH=true", "LOG_LEVEL=INFO")
	a, b := startHTTPGateway(t, env), startHTTPGateway(t, env)
	ask := func(g *httpGateway, prompt string) generateResult {
		t.Helper()
		r, err := generateOn(t.Context(), t, g, prompt)
		if err != nil {
			t.Fatalf("%s: %v", prompt, err)
		}
		return r
	}
	ask(a, "before the outage")
	if r := ask(b, "before the outage"); !r.Cached {
		t.Error("with Redis up, b did not get a's answer from the shared cache")
	}
	redisTest.Stop()
	for i := range 5 {
		ask(a, fmt.Sprintf("during the outage %d", i))
		ask(b, fmt.Sprintf("during the outage %d", i))
	}
	if body := readyzBody(t, a); !strings.Contains(body, "degraded: redis unreachable") {
		t.Errorf("/readyz during the outage = %q, want it to name Redis", body)
	}
	redisTest.Start()
	// The Redis driver stops dialing after a run of failed dials and tries
	// again in the background once a second: the replicas find Redis back
	// within about a second. Watched through /readyz, bounded.
	for i := 0; strings.Contains(readyzBody(t, a)+readyzBody(t, b), "degraded"); i++ {
		if i == 100 {
			t.Fatal("the replicas did not find Redis back within 10s")
		}
		time.Sleep(100 * time.Millisecond) // the driver's own clock; nothing to wait on
	}
	ask(a, "after the outage")
	if r := ask(b, "after the outage"); !r.Cached {
		t.Error("after Redis returned, b did not get a's answer: sharing did not resume")
	}
	if body := readyzBody(t, a); strings.Contains(body, "degraded") {
		t.Errorf("/readyz after the outage = %q, want plain ready", body)
	}
}

// TestFleetPostgresStopsMidLoad: two replicas write one PostgreSQL ledger
// under load; the server is stopped (as a crash would) and started again
// mid-load. Every call is answered meanwhile, /readyz names the ledger's
// outage, and once the spools are written out every answered call is in
// the ledger exactly once (by the request ID each answer carries).
func TestFleetPostgresStopsMidLoad(t *testing.T) {
	_, simURL := startSim(t)
	pg := pgtest.NewServer(t)
	pg.Start()
	env := gatewayEnv(simURL, "STORE_URL="+pg.URL, "ALLOW_INSECURE_NO_AUTH=true", "LOG_LEVEL=INFO")
	replicas := []*httpGateway{startHTTPGateway(t, env), startHTTPGateway(t, env)}

	// The load: workers ask new questions through both replicas until
	// stopped (each at most maxCalls), and report each answer's request ID.
	const workers, maxCalls, step = 6, 200, 15
	answered := make(chan string, workers*maxCalls)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			g := replicas[w%len(replicas)]
			for i := range maxCalls {
				select {
				case <-stop:
					return
				default:
				}
				id, err := chatCompletion(t.Context(), g.url, fmt.Sprintf("worker %d question %d", w, i))
				if err != nil {
					t.Errorf("worker %d call %d: %v", w, i, err)
					return
				}
				answered <- id
			}
		})
	}
	var ids []string
	// waitFor collects answers until n more have come (or the load ended).
	waitFor := func(n int) {
		for range n {
			select {
			case id := <-answered:
				ids = append(ids, id)
			case <-time.After(60 * time.Second):
				t.Fatalf("no answer within 60s after %d answers", len(ids))
			}
		}
	}
	waitFor(step)
	pg.Stop()
	waitFor(step) // answered with the ledger down
	body := readyzBody(t, replicas[0]) + readyzBody(t, replicas[1])
	if !strings.Contains(body, "degraded:") {
		t.Errorf("/readyz of the replicas with PostgreSQL stopped = %q, want the ledger's outage named", body)
	}
	pg.Start()
	waitFor(step)
	close(stop)
	wg.Wait()
	close(answered)
	for id := range answered {
		ids = append(ids, id)
	}

	// The spools are written out on each replica's retry timer: watched,
	// bounded.
	conn, err := pgx.Connect(t.Context(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var rows, distinct int
	for i := 0; ; i++ {
		if err := conn.QueryRow(t.Context(), "SELECT count(*), count(DISTINCT request_id) FROM requests").Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		if rows >= len(ids) || i == 300 {
			break
		}
		time.Sleep(100 * time.Millisecond) // the replicas' retry timers; nothing to wait on
	}
	t.Logf("%d calls answered, %d records in the ledger", len(ids), rows)
	if rows != len(ids) || distinct != len(ids) {
		t.Errorf("ledger holds %d records (%d request IDs) for %d answered calls; want each call once", rows, distinct, len(ids))
	}
	inLedger := map[string]int{}
	rs, err := conn.Query(t.Context(), "SELECT request_id FROM requests")
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		inLedger[id]++
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if n := inLedger[id]; n != 1 {
			t.Errorf("answered request %s is in the ledger %d times, want once", id, n)
		}
	}
}

// chatCompletion asks one question through the OpenAI-compatible API and
// returns the answer's request ID, which the ledger records.
func chatCompletion(ctx context.Context, base, prompt string) (string, error) {
	body, _ := json.Marshal(map[string]any{"model": "nova-lite", "max_tokens": 16, "messages": []map[string]string{{"role": "user", "content": prompt}}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /v1/chat/completions = %d %s", resp.StatusCode, b)
	}
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		return "", errors.New("answer without an X-Request-Id")
	}
	return id, nil
}

// readyzBody is a replica's /readyz, which must stay 200.
func readyzBody(t *testing.T, g *httpGateway) string {
	t.Helper()
	resp, err := http.Get(g.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d %s; want 200 (the replica still answers)", resp.StatusCode, body)
	}
	return string(body)
}
