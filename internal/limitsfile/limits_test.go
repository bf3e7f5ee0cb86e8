//go:build unix

package limitsfile

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/policy"
	"github.com/llm-gateway/llm-gateway/internal/policy/policytest"
)

func open(t testing.TB, path string) *Limits {
	t.Helper()
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestContract(t *testing.T) {
	policytest.Run(t, func(t *testing.T) policy.State {
		return open(t, filepath.Join(t.TempDir(), "gateway.db-limits"))
	})
}

// TestSharedByHandles opens the file twice, as two gateway processes do
// (each handle has its own descriptor and file lock), and claims from
// both at once: the limit holds across them, and a counter made by one is
// seen by the other.
func TestSharedByHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.db-limits")
	states := [2]*Limits{open(t, path), open(t, path)}
	now := time.Now()
	c := policy.Claim{Key: "agent:a|budget.daily_usd", Window: 1, End: now.Add(time.Hour).Unix(), Max: 1000, Amount: 30}
	var granted atomic.Int64
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			cs := []policy.Claim{c}
			g, err := states[i%2].Claim(context.Background(), cs, now, now.Add(time.Hour))
			if err != nil {
				t.Error(err)
				return
			}
			if g.Refused == -1 {
				granted.Add(1)
				if err := states[(i+1)%2].Release(context.Background(), g.ID, cs, []int64{30}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if granted.Load() != 1000/30 {
		t.Errorf("%d claims granted across two handles, want exactly %d", granted.Load(), 1000/30)
	}
	counters, err := states[1].Counters(t.Context(), now)
	if err != nil || len(counters) != 1 || counters[0].Used != 1000/30*30 || counters[0].Held != 0 {
		t.Errorf("Counters = %+v %v, want used %d held 0", counters, err, 1000/30*30)
	}
}

// TestReopenKeepsCounters: a process that starts again finds the
// counters its predecessors left.
func TestReopenKeepsCounters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.db-limits")
	now := time.Now()
	c := []policy.Claim{{Key: "agent:a|budget.daily_usd", Window: 1, End: now.Add(time.Hour).Unix(), Max: 100, Amount: 40, Instant: true}}
	l := open(t, path)
	if g, err := l.Claim(t.Context(), c, now, now.Add(time.Hour)); err != nil || g.Refused != -1 {
		t.Fatalf("Claim = %+v %v", g, err)
	}
	l.Close()
	l = open(t, path)
	if g, err := l.Claim(t.Context(), c, now, now.Add(time.Hour)); err != nil || g.Refused != -1 || c[0].Used != 40 {
		t.Fatalf("Claim after reopening = %+v %v, used before it %d; want granted at 40", g, err, c[0].Used)
	}
}

// TestManyCounters fills the table past what it holds at once, as
// minutes go by: counters of ended minutes make room, and the counters
// that stay (a day's) are still found after the moves their deletion made.
func TestManyCounters(t *testing.T) {
	l := open(t, filepath.Join(t.TempDir(), "gateway.db-limits"))
	t0 := time.Unix(1_800_000_000, 0).Truncate(24 * time.Hour)
	key := func(a int, limit string) string {
		return "agent:" + strings.Repeat("x", a%150) + string(rune('a'+a%26)) + "|" + limit
	}
	request := func(now time.Time, key string, win, end int64) policy.Grant {
		t.Helper()
		c := []policy.Claim{{Key: key, Window: win, End: end, Max: 1, Amount: 1, Instant: true}}
		g, err := l.Claim(t.Context(), c, now, now.Add(time.Minute))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return g
	}
	const daily = maxFill / 4
	for m := range 10 {
		now := t0.Add(time.Duration(m) * time.Minute)
		for a := range maxFill / 2 {
			if m == 0 && a < daily {
				request(now, key(a, "requests_per_day"), t0.Unix(), t0.Unix()+86400)
			}
			request(now, key(a, "requests_per_minute"), now.Unix(), now.Unix()+60)
		}
	}
	end := t0.Add(9 * time.Minute)
	counters, err := l.Counters(t.Context(), end)
	if err != nil || len(counters) != daily+maxFill/2 {
		t.Fatalf("Counters = %d %v, want %d", len(counters), err, daily+maxFill/2)
	}
	for a := range daily {
		if g := request(end, key(a, "requests_per_day"), t0.Unix(), t0.Unix()+86400); g.Refused != 0 {
			t.Fatalf("second request of the day for agent %d = %+v, want refused: its counter was lost", a, g)
		}
	}
}

// TestRepair: a process killed while it held the lock leaves the tables
// marked; the next step counts what is held again from the holds.
func TestRepair(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.db-limits")
	l := open(t, path)
	now := time.Now()
	conc := policy.Claim{Key: "global|max_concurrent", Max: 2, Amount: 1}
	if g, err := l.Claim(t.Context(), []policy.Claim{conc}, now, now.Add(time.Hour)); err != nil || g.Refused != -1 {
		t.Fatalf("Claim = %+v %v", g, err)
	}
	// As if a process died halfway through a claim: held counted, no hold.
	l.find(keyHash(conc.Key), 0, conc.Key).held += 5
	l.h.dirty = 1
	cs := []policy.Claim{conc}
	if g, err := l.Claim(t.Context(), cs, now, now.Add(time.Hour)); err != nil || g.Refused != -1 || cs[0].Held != 1 {
		t.Fatalf("Claim after a torn step = %+v %v, held before it %d; want granted at 1 held", g, err, cs[0].Held)
	}
}

// TestDeadProcessGivesBack runs a child process that takes the only
// concurrency place and is killed in its call: the next claim, from this
// process, is granted at once, long before the hold would expire, even
// before the child is waited for.
func TestDeadProcessGivesBack(t *testing.T) {
	if os.Getenv("LIMITSFILE_CHILD") != "" {
		child()
		return
	}
	path := filepath.Join(t.TempDir(), "gateway.db-limits")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadProcessGivesBack$")
	cmd.Env = append(os.Environ(), "LIMITSFILE_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if err != nil || line != "held\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child said %q %v, want held", line, err)
	}
	l := open(t, path)
	now := time.Now()
	if g, err := l.Claim(t.Context(), []policy.Claim{deadConc}, now, now.Add(time.Hour)); err != nil || g.Refused != 0 {
		t.Fatalf("claim while the child holds the place = %+v %v, want refused", g, err)
	}
	// Killed, the child's output ends; it is a zombie until it is waited
	// for, which counts as gone.
	_ = cmd.Process.Kill()
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	// Gone processes are looked for at most every 10 ms: as if that has
	// passed.
	later := now.Add(10 * time.Millisecond)
	if g, err := l.Claim(t.Context(), []policy.Claim{deadConc}, later, later.Add(time.Hour)); err != nil || g.Refused != -1 {
		t.Fatalf("claim after the child was killed = %+v %v, want granted", g, err)
	}
}

var deadConc = policy.Claim{Key: "agent:a|max_concurrent", Max: 1, Amount: 1}

func child() {
	l, err := Open(os.Getenv("LIMITSFILE_CHILD"))
	if err != nil {
		panic(err)
	}
	now := time.Now()
	g, err := l.Claim(context.Background(), []policy.Claim{deadConc}, now, now.Add(time.Hour))
	if err != nil || g.Refused != -1 {
		panic("child claim refused")
	}
	os.Stdout.WriteString("held\n")
	select {} // killed here
}

func BenchmarkAdmissionFile(b *testing.B) {
	policytest.BenchmarkAdmission(b, open(b, filepath.Join(b.TempDir(), "gateway.db-limits")))
}

func BenchmarkClaimRelease(b *testing.B) {
	l := open(b, filepath.Join(b.TempDir(), "gateway.db-limits"))
	now := time.Now()
	c := []policy.Claim{{Key: "agent:a|max_concurrent", Max: 1000, Amount: 1}}
	b.ReportAllocs()
	for b.Loop() {
		g, err := l.Claim(context.Background(), c, now, now.Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Release(context.Background(), g.ID, c, nil); err != nil {
			b.Fatal(err)
		}
	}
}
