package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ledgerStats is what the ledger tests read of get_stats.
type ledgerStats struct {
	Metrics struct {
		TotalRequests int                       `json:"total_requests"`
		TotalTokens   int                       `json:"total_tokens"`
		CacheHits     int                       `json:"cache_hits"`
		ByAgent       map[string]map[string]any `json:"requests_by_agent"`
	} `json:"metrics"`
	Ledger struct {
		Store   string `json:"store"`
		OK      bool   `json:"ok"`
		Error   string `json:"error"`
		Spooled int    `json:"spooled"`
		Written int    `json:"written"`
		Scope   string `json:"scope"`
	} `json:"ledger"`
}

func getLedgerStats(t *testing.T, s *mcp.ClientSession, args map[string]any) ledgerStats {
	t.Helper()
	var st ledgerStats
	call(t, s, "get_stats", args, &st)
	return st
}

func generateArgs(prompt string) map[string]any {
	return map[string]any{"model": "nova-lite", "messages": user(prompt), "max_tokens": 16}
}

// usageJSON runs llm-gateway usage against a store and decodes its report.
func usageJSON(t *testing.T, store string, args ...string) usageReport {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"usage", "--store", store, "--format", "json"}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir()}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("llm-gateway usage: %v\n%s", err, out)
	}
	var r usageReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("usage --format json: %v\n%s", err, out)
	}
	return r
}

// Eight stdio gateways, one per agent as MCP clients start them, share one
// SQLite file: their records add up exactly, in every process's get_stats
// and in llm-gateway usage, and one's answer is a cache hit in another.
func TestLedgerSharedByStdioGateways(t *testing.T) {
	_, url := startSim(t)
	store := "sqlite:" + filepath.Join(t.TempDir(), "gateway.db")
	const procs, each = 8, 6
	sessions := make([]*mcp.ClientSession, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() {
			sessions[i], _ = connect(t, gatewayEnv(url, "STORE_URL="+store))
		})
	}
	wg.Wait()
	for i, s := range sessions {
		wg.Go(func() {
			for j := range each {
				_, _ = s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: generateArgs(fmt.Sprintf("process %d, question %d", i, j))})
			}
		})
	}
	wg.Wait()

	for i, s := range sessions {
		st := getLedgerStats(t, s, nil)
		if st.Metrics.TotalRequests != procs*each || !st.Ledger.OK || st.Ledger.Store != store {
			t.Errorf("process %d: get_stats total_requests = %d, ledger %+v; want %d from %s", i, st.Metrics.TotalRequests, st.Ledger, procs*each, store)
		}
	}
	if r := usageJSON(t, store); r.Total.Requests != procs*each {
		t.Errorf("usage total requests = %d; want %d", r.Total.Requests, procs*each)
	}

	// An answer given by process 0 is a cache hit in process 7. It is
	// written to the shared cache just after it is sent, within a commit's
	// time; a read of process 0's get_stats waits for that.
	var first, again generateResult
	call(t, sessions[0], "generate", generateArgs("asked once, answered for all"), &first)
	getLedgerStats(t, sessions[0], nil)
	call(t, sessions[procs-1], "generate", generateArgs("asked once, answered for all"), &again)
	if first.Cached || !again.Cached || again.Content != first.Content {
		t.Errorf("the same question in two processes: cached %v then %v (%q, %q); want a miss then a hit with the same answer", first.Cached, again.Cached, first.Content, again.Content)
	}
	st := getLedgerStats(t, sessions[3], map[string]any{"since": "1h"})
	if st.Metrics.TotalRequests != procs*each+2 || st.Metrics.CacheHits != 1 {
		t.Errorf("get_stats since 1h = %d requests, %d cache hits; want %d, 1", st.Metrics.TotalRequests, st.Metrics.CacheHits, procs*each+2)
	}
	if st := getLedgerStats(t, sessions[3], map[string]any{"since": "2999-01-01T00:00:00Z"}); st.Metrics.TotalRequests != 0 {
		t.Errorf("get_stats since a future time = %d requests; want 0", st.Metrics.TotalRequests)
	}
	res, err := sessions[0].CallTool(t.Context(), &mcp.CallToolParams{Name: "get_stats", Arguments: map[string]any{"since": "yesterday"}})
	if err != nil || !res.IsError || !strings.Contains(text(res), "since") {
		t.Errorf("get_stats since yesterday = %v, %v; want a tool error about since", text(res), err)
	}
}

// A gateway killed with SIGKILL in the middle of answering has recorded
// every call it answered, and its file opens and reads afterwards, with
// the same totals in the next process.
func TestLedgerSurvivesSIGKILL(t *testing.T) {
	_, url := startSim(t)
	store := "sqlite:" + filepath.Join(t.TempDir(), "gateway.db")
	cmd := exec.Command(binary)
	cmd.Env = gatewayEnv(url, "STORE_URL="+store, "LOG_LEVEL=WARN")
	cmd.Dir = t.TempDir()
	client := mcp.NewClient(&mcp.Implementation{Name: "killed-agent", Version: "1"}, nil)
	s, err := client.Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	const callers, max, killAfter = 8, 100, 60
	var answered, sent atomic.Int64
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := 0; i < max; i++ {
				select {
				case <-killed:
					return
				default:
				}
				sent.Add(1)
				res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: generateArgs(fmt.Sprintf("caller %d call %d", c, i))})
				if err != nil || res.IsError {
					return // the process is gone
				}
				if answered.Add(1) == killAfter {
					once.Do(func() {
						_ = cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					})
				}
			}
		})
	}
	wg.Wait()
	// The session's transport reaps the process (it calls cmd.Wait itself:
	// a second Wait here would race with it).
	_ = s.Close()
	checkLedgerAfterKill(t, url, store, answered.Load(), sent.Load(), killAfter)
}

// checkLedgerAfterKill checks a store after its gateway was killed under
// load: every answered call is recorded (none beyond those sent), the store
// is readable by usage, and the next process's get_stats agrees with it.
func checkLedgerAfterKill(t *testing.T, url, store string, answered, sent, killAfter int64) {
	t.Helper()
	if answered < killAfter {
		t.Fatalf("only %d calls answered before the process ended; want %d", answered, killAfter)
	}
	r := usageJSON(t, store)
	if int64(r.Total.Requests) < answered || int64(r.Total.Requests) > sent {
		t.Errorf("after SIGKILL the ledger holds %d requests; %d were answered and %d sent", r.Total.Requests, answered, sent)
	}
	next, _ := connect(t, gatewayEnv(url, "STORE_URL="+store))
	if st := getLedgerStats(t, next, nil); int64(st.Metrics.TotalRequests) != r.Total.Requests {
		t.Errorf("the next process's get_stats = %d requests; usage said %d", st.Metrics.TotalRequests, r.Total.Requests)
	}
}

// A store that cannot be written does not stop the answers: the records
// wait in the spool, get_stats says so, and they are written out once the
// store can be; with LEDGER_REQUIRED the calls are refused instead.
func TestLedgerSpoolWhileStoreUnwritable(t *testing.T) {
	_, url := startSim(t)
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-directory")
	if err := os.WriteFile(blocker, []byte("a file where the store's directory should be"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := "sqlite:" + filepath.Join(blocker, "gateway.db")

	required, _ := connect(t, gatewayEnv(url, "STORE_URL="+store, "LEDGER_REQUIRED=true"))
	res, err := required.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: generateArgs("refused")})
	if err != nil || !res.IsError || !strings.Contains(text(res), "LEDGER_REQUIRED") {
		t.Errorf("generate with LEDGER_REQUIRED and no store = %q, %v; want a refusal naming LEDGER_REQUIRED", text(res), err)
	}

	s, stderr := connect(t, gatewayEnv(url, "STORE_URL="+store))
	for i := range 3 {
		call(t, s, "generate", generateArgs(fmt.Sprint("spooled ", i)), nil)
	}
	st := getLedgerStats(t, s, nil)
	if st.Ledger.OK || st.Ledger.Spooled != 3 || st.Ledger.Error == "" {
		t.Errorf("get_stats with the store unwritable: ledger %+v; want not ok, 3 spooled, an error", st.Ledger)
	}
	if !strings.Contains(stderr.String(), "LEDGER STORE UNAVAILABLE") {
		t.Errorf("the log does not say loudly that the store is unavailable:\n%s", stderr.String())
	}

	if err := os.Remove(blocker); err != nil { // the store can be made now
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for st = getLedgerStats(t, s, nil); !st.Ledger.OK || st.Ledger.Spooled != 0; st = getLedgerStats(t, s, nil) {
		if time.Now().After(deadline) {
			t.Fatalf("the spool was not written out within 30s of the store coming back: %+v", st.Ledger)
		}
		time.Sleep(100 * time.Millisecond) // waiting on another process's retry timer
	}
	// The refusing process writes its one record out too, on its own timer.
	if r := usageJSON(t, store, "--by", "agent"); r.Total.Requests < 3 || r.Total.Requests > 4 {
		t.Errorf("after the store came back it holds %d requests; want the 3 spooled (and perhaps the refusal)", r.Total.Requests)
	}
}

// The stdio gateway answers initialize while its SQLite file is still
// locked by another process (as it is while a gateway starting beside it
// migrates the schema), and a call made before the store has opened waits
// for it and is recorded in it, not spooled nor lost.
func TestLedgerCallWhileStoreOpens(t *testing.T) {
	_, url := startSim(t)
	path := filepath.Join(t.TempDir(), "gateway.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	// An exclusive lock in the default journal mode keeps every other
	// connection, readers too, out until it ends.
	for _, stmt := range []string{"BEGIN EXCLUSIVE", "CREATE TABLE holder (x)"} {
		if _, err := lock.ExecContext(t.Context(), stmt); err != nil {
			t.Fatal(err)
		}
	}

	s, stderr := connect(t, gatewayEnv(url, "STORE_URL=sqlite:"+path))
	answered := make(chan error, 1)
	go func() {
		res, err := s.CallTool(t.Context(), &mcp.CallToolParams{Name: "generate", Arguments: generateArgs("while the store opens")})
		if err == nil && res.IsError {
			err = fmt.Errorf("tool error: %s", text(res))
		}
		answered <- err
	}()
	if _, err := lock.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatalf("generate made while the store opened: %v\n%s", err, stderr.String())
	}
	st := getLedgerStats(t, s, nil)
	if !st.Ledger.OK || st.Ledger.Spooled != 0 || st.Metrics.TotalRequests != 1 {
		t.Errorf("get_stats after a call made while the store opened: %d requests, ledger %+v; want 1, ok, none spooled", st.Metrics.TotalRequests, st.Ledger)
	}
	if strings.Contains(stderr.String(), "LEDGER STORE") {
		t.Errorf("the store was reported unavailable:\n%s", stderr.String())
	}
	if r := usageJSON(t, "sqlite:"+path); r.Total.Requests != 1 {
		t.Errorf("llm-gateway usage: %d requests in the store; want 1", r.Total.Requests)
	}
}
