package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one run measured.
type Report struct {
	Machine    Machine     `json:"machine"`
	Quick      bool        `json:"quick"`
	Version    string      `json:"version,omitempty"`
	Started    time.Time   `json:"started"`
	Elapsed    string      `json:"elapsed"`
	Latency    []Result    `json:"latency"`
	Throughput []Result    `json:"throughput"`
	Coalescing *Coalescing `json:"coalescing"`
	Fleet      *Fleet      `json:"fleet"`
	Memory     *Memory     `json:"memory"`
	Startup    []Startup   `json:"startup"`
	Admission  []Admission `json:"admission"`
	// Experiments rerun scenarios with other runtime or gateway settings.
	Experiments []Result `json:"experiments"`
	// Peers are the --peers rows: the direct call, one more hop, our
	// OpenAI-compatible front and other gateways, side by side.
	Peers  []Result `json:"peers,omitempty"`
	Checks []Check  `json:"checks"`
}

// Failures lists every scenario that made an error, with its first error.
// A run is sound when it is empty.
func (r *Report) Failures() []string {
	var out []string
	for _, list := range [][]Result{r.Latency, r.Throughput, r.Experiments, r.Peers} {
		for _, x := range list {
			if x.Errors > 0 {
				out = append(out, fmt.Sprintf("%s: %d error(s), first: %s", x.Name, x.Errors, x.FirstError))
			}
		}
	}
	if co := r.Coalescing; co != nil && co.Errors > 0 {
		out = append(out, fmt.Sprintf("coalescing: %d error(s), first: %s", co.Errors, co.FirstError))
	}
	if fl := r.Fleet; fl != nil {
		if fl.Errors > 0 {
			out = append(out, fmt.Sprintf("fleet: %d error(s), first: %s", fl.Errors, fl.FirstError))
		}
		for _, x := range fl.Cost {
			if x.Errors > 0 {
				out = append(out, fmt.Sprintf("fleet, %s: %d error(s), first: %s", x.Name, x.Errors, x.FirstError))
			}
		}
	}
	for _, a := range r.Admission {
		if a.Error != "" {
			out = append(out, fmt.Sprintf("admission %s: %s", a.Backend, a.Error))
		}
	}
	if m := r.Memory; m != nil && m.Errors > 0 {
		out = append(out, fmt.Sprintf("memory: %d error(s), first: %s", m.Errors, m.FirstError))
	}
	for _, s := range r.Startup {
		if s.Errors > 0 {
			out = append(out, fmt.Sprintf("start-up, %s: %d error(s), first: %s", s.Name, s.Errors, s.FirstError))
		}
	}
	return out
}

// resultColumns head the latency and throughput tables.
var resultColumns = []string{"scenario", "calls", "errors", "p50 µs", "p99 µs", "calls/s", "CPU ms/1k calls", "allocs/call", "KiB alloc/call", "peak RSS MiB", "CPU, allocs, RSS of"}

func resultRow(x Result) []string {
	return []string{x.Name, fmt.Sprint(x.Calls), fmt.Sprint(x.Errors), num(x.P50), num(x.P99), num(x.Throughput),
		num(x.CPUPer1k), num(x.AllocsPerCall), num(x.KiBPerCall), num(x.PeakRSS), x.Measured}
}

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100 || v <= -100:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

// WriteText prints the report as aligned tables, for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t") }
	fmt.Fprintf(w, "llm-gateway bench%s: %s, %d cores, %s, load %s; %s\n\n", quickNote(r), r.Machine.CPU, r.Machine.Cores, r.Machine.Go, r.Machine.LoadAverage, r.Elapsed)
	row(resultColumns...)
	for _, x := range r.Latency {
		row(resultRow(x)...)
	}
	for _, x := range r.Throughput {
		row(resultRow(x)...)
	}
	for _, x := range r.Experiments {
		row(resultRow(x)...)
	}
	for _, x := range r.Peers {
		row(resultRow(x)...)
	}
	if r.Fleet != nil {
		for _, x := range r.Fleet.Cost {
			row(resultRow(x)...)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if co := r.Coalescing; co != nil {
		fmt.Fprintf(w, "coalescing: %d identical concurrent requests → %d upstream call(s), %d answered as cached, %d errors, %s\n",
			co.Requests, co.UpstreamCalls, co.Shared, co.Errors, co.Wall)
	}
	if fl := r.Fleet; fl != nil {
		for _, line := range fl.summary() {
			fmt.Fprintln(w, line)
		}
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(w, "memory: idle RSS %.1f MiB (%.1f anonymous, %.1f file-backed)", m.IdleRSS, m.IdleAnon, m.IdleFile)
		for _, p := range m.Points {
			fmt.Fprintf(w, "; %d answers: RSS %.1f MiB, %.0f B/answer (%.2f KiB overhead)", p.Entries, p.RSS, p.RSSPerAnswer, p.Overhead)
		}
		fmt.Fprintln(w)
	}
	for _, s := range r.Startup {
		fmt.Fprintf(w, "start-up, %s: %.1f ms p50, %.1f ms p99 (%d runs)\n", s.Name, s.P50, s.P99, s.Runs)
	}
	fmt.Fprintln(w)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "[%s] %s: %s\n", c.Status, c.Target, c.Measured)
	}
	if f := r.Failures(); len(f) > 0 {
		fmt.Fprintf(w, "\nFAILURES:\n  %s\n", strings.Join(f, "\n  "))
	}
	return nil
}

func quickNote(r *Report) string {
	if r.Quick {
		return " --quick (too few calls to measure; checks that every scenario runs)"
	}
	return ""
}
