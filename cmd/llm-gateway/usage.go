package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/config"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/ledger"
)

const usageUsage = `Usage: llm-gateway usage [--since D] [--by agent|model|day] [--format table|csv|json] [--store URL]

Prints spend from the usage ledger: requests, cache hits, errors, tokens,
cost and savings, one row per agent, model or UTC day, and a total. The
totals are the ones get_stats shows for the same since.

  --since D    only requests since then: a duration (24h, 7d) or an RFC 3339
               time; default: every record the ledger keeps
  --by K       agent, model (the default) or day
  --format F   table (the default), csv or json; csv and json give money
               exactly, in USD with 12 decimals and in picodollars
  --store URL  the ledger; default STORE_URL (from the environment or .env),
               else the default SQLite file
`

// usageRow is one line of the usage report.
type usageRow struct {
	Key        string          `json:"key"`
	Requests   int64           `json:"requests"`
	CacheHits  int64           `json:"cache_hits"`
	Coalesced  int64           `json:"coalesced"`
	Errors     int64           `json:"errors"`
	Unpriced   int64           `json:"unpriced_requests"`
	Input      int64           `json:"input_tokens"`
	Output     int64           `json:"output_tokens"`
	CacheRead  int64           `json:"cache_read_tokens"`
	CacheWrite int64           `json:"cache_write_tokens"`
	CostUSD    string          `json:"cost_usd"`
	CostPico   gateway.PicoUSD `json:"cost_pico"`
	SavedUSD   string          `json:"saved_usd"`
	SavedPico  gateway.PicoUSD `json:"saved_pico"`
}

// usageReport is the json format.
type usageReport struct {
	Store string     `json:"store"`
	Since string     `json:"since,omitempty"`
	By    string     `json:"by"`
	Rows  []usageRow `json:"rows"`
	Total usageRow   `json:"total"`
}

func runUsage(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usage", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	since := fs.String("since", "", "")
	by := fs.String("by", "model", "")
	format := fs.String("format", "table", "")
	store := fs.String("store", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageUsage)
			return nil
		}
		return fmt.Errorf("usage: %w\n\n%s", err, usageUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("usage: unexpected %q\n\n%s", fs.Arg(0), usageUsage)
	}
	if !slices.Contains([]string{"agent", "model", "day"}, *by) {
		return fmt.Errorf("usage: --by %q: want agent, model or day", *by)
	}
	if !slices.Contains([]string{"table", "csv", "json"}, *format) {
		return fmt.Errorf("usage: --format %q: want table, csv or json", *format)
	}
	now := time.Now()
	from, err := parseSince(*since, now)
	if err != nil {
		return fmt.Errorf("usage: --%w", err)
	}
	url := *store
	if url == "" {
		dir, _ := os.Getwd()
		cfg := config.Fallback(nil, getenv, dir) // STORE_URL from the environment or .env; nothing else matters here
		url = cfg.StoreURL
	}
	if url == "" {
		url = defaultStoreURL(getenv)
	}
	st, err := openReader(ctx, url, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return fmt.Errorf("usage: ledger %s: %w", config.RedactStoreURL(url), err)
	}
	defer st.Close(context.WithoutCancel(ctx))

	t, err := st.Totals(ctx, ledger.Filter{Since: from})
	if err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	report := usageReport{Store: config.RedactStoreURL(url), By: *by, Total: totalRow("TOTAL", t)}
	if !from.IsZero() {
		report.Since = from.UTC().Format(time.RFC3339)
	}
	switch *by {
	case "agent":
		report.Rows = groupRows(t.ByAgent)
	case "model":
		report.Rows = groupRows(t.ByModel)
	case "day":
		points, err := st.Series(ctx, from, 24*time.Hour)
		if err != nil {
			return fmt.Errorf("usage: %w", err)
		}
		for _, p := range points {
			report.Rows = append(report.Rows, row(p.Start.Format(time.DateOnly), p.Requests, p.CacheHits, p.Coalesced, p.Errors, p.Unpriced, p.Tokens, p.Cost, p.Saved))
		}
	}
	if report.Rows == nil {
		report.Rows = []usageRow{}
	}
	return writeUsage(stdout, *format, report)
}

func row(key string, requests, hits, coalesced, errs, unpriced int64, tok ledger.Tokens, cost, saved gateway.PicoUSD) usageRow {
	return usageRow{Key: key, Requests: requests, CacheHits: hits, Coalesced: coalesced, Errors: errs, Unpriced: unpriced,
		Input: tok.Input, Output: tok.Output, CacheRead: tok.CacheRead, CacheWrite: tok.CacheWrite,
		CostUSD: exactUSD(cost), CostPico: cost, SavedUSD: exactUSD(saved), SavedPico: saved}
}

func totalRow(key string, t ledger.Totals) usageRow {
	return row(key, t.Requests, t.CacheHits, t.Coalesced, t.Failed, t.Unpriced, t.Tokens, t.Cost, t.Saved)
}

// groupRows is one row per name, the costliest first.
func groupRows(m map[string]ledger.Group) []usageRow {
	rows := make([]usageRow, 0, len(m))
	for name, g := range m {
		rows = append(rows, row(name, g.Requests, g.CacheHits, g.Coalesced, g.Errors, g.Unpriced, g.Tokens, g.Cost, g.Saved))
	}
	slices.SortFunc(rows, func(a, b usageRow) int {
		if a.CostPico != b.CostPico {
			if a.CostPico > b.CostPico {
				return -1
			}
			return 1
		}
		if a.Requests != b.Requests {
			return int(b.Requests - a.Requests)
		}
		if a.Key < b.Key {
			return -1
		}
		return 1
	})
	return rows
}

// exactUSD writes picodollars as dollars with all 12 decimals.
func exactUSD(p gateway.PicoUSD) string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	return fmt.Sprintf("%s%d.%012d", sign, p/gateway.PicoPerUSD, p%gateway.PicoPerUSD)
}

func writeUsage(w io.Writer, format string, r usageReport) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{r.By, "requests", "cache_hits", "coalesced", "errors", "unpriced_requests",
			"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd", "saved_usd"})
		for _, x := range append(r.Rows, r.Total) {
			_ = cw.Write([]string{x.Key, i64(x.Requests), i64(x.CacheHits), i64(x.Coalesced), i64(x.Errors), i64(x.Unpriced),
				i64(x.Input), i64(x.Output), i64(x.CacheRead), i64(x.CacheWrite), x.CostUSD, x.SavedUSD})
		}
		cw.Flush()
		return cw.Error()
	}
	fmt.Fprintf(w, "ledger %s", r.Store)
	if r.Since != "" {
		fmt.Fprintf(w, ", since %s", r.Since)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\trequests\tcache hits\tcoalesced\terrors\tinput tok\toutput tok\tcost USD\tsaved USD\t\n", r.By)
	for _, x := range append(r.Rows, r.Total) {
		cost := fmt.Sprintf("%.6f", x.CostPico.USD())
		if x.Unpriced > 0 {
			cost += fmt.Sprintf(" +%d unpriced", x.Unpriced)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%.6f\t\n", x.Key, x.Requests, x.CacheHits, x.Coalesced, x.Errors, x.Input, x.Output, cost, x.SavedPico.USD())
	}
	return tw.Flush()
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
