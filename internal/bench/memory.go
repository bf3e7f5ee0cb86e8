package bench

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"
)

// Memory is the gateway's resident memory idle and with answers cached.
type Memory struct {
	// IdleRSS is the gateway command's VmRSS once it has answered
	// initialize over stdio, MiB.
	IdleRSS float64 `json:"idle_rss_mib"`
	// IdleAnon and IdleFile split IdleRSS: anonymous memory (heap, stacks,
	// the runtime's) and file-backed pages (the executable's that start-up
	// touched, and the kernel mapped around them from the page cache), MiB.
	IdleAnon float64 `json:"idle_rss_anon_mib"`
	IdleFile float64 `json:"idle_rss_file_mib"`
	// AnswerBytes is the size of each cached answer's text.
	AnswerBytes int           `json:"answer_bytes"`
	Points      []MemoryPoint `json:"points"`
	Errors      int           `json:"errors"`
	FirstError  string        `json:"first_error,omitempty"`
}

// MemoryPoint is the gateway holding Entries cached answers. RSS and heap
// are read after a garbage collection that returns freed memory to the
// OS, so they are what the cache keeps alive rather than garbage not yet
// collected; per-answer figures are differences from a baseline gateway
// that has already served memoryWarm calls.
type MemoryPoint struct {
	Entries int     `json:"cached_answers"`
	RSS     float64 `json:"rss_mib"`
	Heap    float64 `json:"heap_mib"`
	PeakRSS float64 `json:"peak_rss_mib"` // highest VmRSS so far, while filling
	// RSSPerAnswer and HeapPerAnswer are bytes per cached answer;
	// Overhead is RSSPerAnswer minus the answer itself, KiB.
	RSSPerAnswer  float64 `json:"rss_bytes_per_answer"`
	HeapPerAnswer float64 `json:"heap_bytes_per_answer"`
	Overhead      float64 `json:"overhead_kib_per_answer"`
}

const (
	memoryAnswerBytes = 1024
	memoryWarm        = 200 // answers cached before the baseline
)

// runMemory measures the gateway command idle, then a gateway child
// filled with 1 KiB answers through its real path (generate, Bedrock SDK,
// simulator, cache).
func (h *harness) runMemory(ctx context.Context) {
	m := &Memory{AnswerBytes: memoryAnswerBytes}
	h.report.Memory = m
	fail := func(err error) {
		m.Errors++
		if m.FirstError == "" {
			m.FirstError = err.Error()
		}
	}

	h.progress("memory, idle gateway")
	if rss, anon, file, err := h.idleRSS(ctx); err != nil {
		fail(err)
	} else {
		m.IdleRSS, m.IdleAnon, m.IdleFile = mib(rss), mib(anon), mib(file)
	}

	largest := h.sizes.fills[len(h.sizes.fills)-1]
	h.progress("memory, up to %d cached answers of %d bytes", largest, memoryAnswerBytes)
	c, err := h.startChild(modeGatewayStdio,
		"CACHE_MAX_SIZE="+strconv.Itoa(largest+memoryWarm),
		"CACHE_MAX_BYTES=8GiB",
		"LOG_LEVEL=WARN", // a log line per fill call would only slow the fill
	)
	if err != nil {
		fail(err)
		return
	}
	defer func() {
		if err := c.close(); err != nil {
			fail(err)
		}
	}()
	fill := func(n int) error {
		_, err := c.command(fillTimeout, "fill %d %d %s", n, memoryAnswerBytes, benchModel)
		return err
	}
	if err := fill(memoryWarm); err != nil {
		fail(err)
		return
	}
	base, err := c.usage(true)
	if err != nil {
		fail(err)
		return
	}
	have := memoryWarm
	for _, n := range h.sizes.fills {
		if err := fill(n - have); err != nil {
			fail(err)
			return
		}
		have = n
		u, err := c.usage(true)
		if err != nil {
			fail(err)
			return
		}
		added := float64(n - memoryWarm)
		p := MemoryPoint{
			Entries:       n,
			RSS:           mib(u.RSS),
			Heap:          mib(int64(u.HeapAlloc)), //nolint:gosec // a heap size fits in int64
			PeakRSS:       mib(u.PeakRSS),
			RSSPerAnswer:  math.Round(float64(u.RSS-base.RSS) / added),
			HeapPerAnswer: math.Round((float64(u.HeapAlloc) - float64(base.HeapAlloc)) / added),
		}
		p.Overhead = round2((p.RSSPerAnswer - memoryAnswerBytes) / 1024)
		m.Points = append(m.Points, p)
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// idleRSS starts the gateway command as an agent would, completes the
// MCP handshake, and reads its resident set size, whole and split.
func (h *harness) idleRSS(ctx context.Context) (rss, anon, file int64, err error) {
	p, err := h.startGateway()
	if err != nil {
		return 0, 0, 0, err
	}
	defer p.close()
	if err := newStdioClient(p.stdout, p.stdin).initialize(ctx); err != nil {
		return 0, 0, 0, p.failure(err)
	}
	pid := strconv.Itoa(p.cmd.Process.Pid)
	v := procStatus(pid, "VmRSS:", "RssAnon:", "RssFile:") // one reading, so that the parts add up
	if v[0] == 0 {
		return 0, 0, 0, fmt.Errorf("no VmRSS for the gateway process (is /proc mounted?)")
	}
	return v[0], v[1], v[2], nil
}

// startGateway starts the gateway command (Executable with GatewayArgs)
// on the simulator, with stdin and stdout as its MCP transport.
func (h *harness) startGateway() (*child, error) {
	cmd := exec.Command(h.exe, h.opts.GatewayArgs...) //nolint:gosec // the harness starts its own binary
	cmd.Env = h.env()
	cmd.Dir = h.dir
	c := &child{name: "gateway", cmd: cmd, stderr: &tail{}, done: make(chan error, 1)}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if c.stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	go func() { c.done <- cmd.Wait() }()
	return c, nil
}
