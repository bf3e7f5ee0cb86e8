package catalog

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// DataChecked is the day the embedded catalog's data was last checked
// against its sources. The README's model table is rendered as of this day
// (which models are end-of-life by date), so that it changes only when the
// data does.
var DataChecked = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// Table markers: the README's generated model table sits between them.
const (
	TableBegin = "<!-- models table: generated from internal/catalog/models.json by `llm-gateway models table --write README.md`; do not edit -->"
	TableEnd   = "<!-- end of models table -->"
)

// MarkdownTable renders the catalog as a Markdown table: one row per model,
// ordered by provider and name, with its base model ID, profiles, release
// day, limits, on-demand price in the catalog's Region, rules and
// lifecycle. Unknown figures are shown as such, never as 0.
func (c *Catalog) MarkdownTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| model | Bedrock model ID | profiles | released | context | max output | USD per 1K in / out (%s) | request rules | status |\n", c.region)
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, e := range c.Models() {
		profiles := strings.Join(e.Profiles, ", ")
		if profiles == "" {
			profiles = "in-Region"
		} else if !e.RequiresProfile {
			profiles += ", in-Region"
		}
		released := e.Released
		if released == "" {
			released = "?"
		}
		price := "unpriced"
		if e.Priced && e.InputCostPer1K != nil && e.OutputCostPer1K != nil {
			price = fmtUSD(*e.InputCostPer1K) + " / " + fmtUSD(*e.OutputCostPer1K)
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s | %s | %s | %s | %s |\n",
			e.Name, e.BaseModelID, profiles, released, tokens(e.ContextWindow), tokens(e.MaxTokens),
			price, rulesCell(e), statusCell(e))
	}
	return b.String()
}

func fmtUSD(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// tokens writes a token count as 128K or 1M.
func tokens(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "K"
	}
	return strconv.Itoa(n)
}

func rulesCell(e Entry) string {
	r := e.Rules
	if r == nil {
		return ""
	}
	var parts []string
	var rejects []string
	for _, x := range r.Rejects {
		rejects = append(rejects, "`"+x+"`")
	}
	if len(rejects) > 0 {
		parts = append(parts, "refuses "+strings.Join(rejects, ", "))
	}
	if r.Reasoning != "" {
		s := "reasoning: " + r.Reasoning
		if len(r.Efforts) > 0 {
			s += " (" + strings.Join(r.Efforts, ", ") + ")"
		}
		parts = append(parts, s)
	}
	if r.OptIn != "" {
		parts = append(parts, "needs an account opt-in")
	}
	return strings.Join(parts, "; ")
}

func statusCell(e Entry) string {
	s := e.Status
	if e.Endpoint != gateway.EndpointRuntime {
		s = e.Endpoint + " only, not callable"
	}
	if e.EndOfLife != "" && e.Status != gateway.StatusActive {
		s += " (EOL " + e.EndOfLife + ")"
	}
	if e.Replacement != "" && e.Status != gateway.StatusActive {
		s += " → `" + e.Replacement + "`"
	}
	return s
}

// ReplaceTable returns doc with the text between TableBegin and TableEnd
// replaced by table; an error if the markers are missing.
func ReplaceTable(doc, table string) (string, error) {
	i := strings.Index(doc, TableBegin)
	j := strings.Index(doc, TableEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("the document lacks the models table markers %q and %q", TableBegin, TableEnd)
	}
	return doc[:i+len(TableBegin)] + "\n\n" + table + "\n" + doc[j:], nil
}
