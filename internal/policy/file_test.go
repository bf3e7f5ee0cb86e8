package policy

import (
	"os"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestParseExample(t *testing.T) {
	data, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := mustParse(t, string(data))
	if p.loc.String() != "Europe/Madrid" {
		t.Errorf("timezone = %s", p.loc)
	}
	r := p.rulesFor("research-agent")
	want := [numPeriods]gateway.PicoUSD{20 * gateway.PicoPerUSD, 80 * gateway.PicoPerUSD, 100 * gateway.PicoPerUSD}
	if r.budgets != want || r.rpm != 60 || r.concurrent != 8 || r.warnAt != 0.8 || r.downgradeTo != "nova-lite" || len(r.models) != 2 {
		t.Errorf("research-agent's rules = %+v, want its own models and budgets over the defaults", r)
	}
	if ci := p.rulesFor("ci-bot"); ci.budgets[day] != gateway.PicoPerUSD/2 || ci.rpm != 10 || ci.models[0] != "*" {
		t.Errorf("ci-bot's rules = %+v", ci)
	}
	if o := p.rulesFor("someone-else"); o.budgets[day] != 5*gateway.PicoPerUSD || o.tpm != 200000 {
		t.Errorf("an unlisted agent's rules = %+v, want the defaults", o)
	}
	if m := p.models["claude-opus"]; m == nil || m.budgets[day] != 50*gateway.PicoPerUSD {
		t.Errorf("claude-opus cap = %+v", m)
	}
	if p.global.rpm != 600 || p.global.concurrent != 32 || p.global.budgets[month] != 1000*gateway.PicoPerUSD {
		t.Errorf("global = %+v", p.global)
	}
}

func TestParseEmptyLimitsNothing(t *testing.T) {
	p := mustParse(t, "")
	if r := p.rulesFor("a"); r.hasBudget || r.rpm != 0 || r.models != nil {
		t.Errorf("empty policy rules = %+v, want none", r)
	}
}

func TestParseListsEveryProblem(t *testing.T) {
	src := `
timezone: Mars/Olympus
defaults:
  models: ["claud-*", "[x"]
  requests_per_minute: 0
  budgt: { daily_usd: 5 }
  budget: { daily_usd: -1, warn_at: 1.5, downgrade_to: nova-tiny }
agents:
  a: { tokens_per_minute: lots }
models:
  gpt-9: { budget: { daily_usd: 1 } }
  nova-pro: { requests_per_minute: 0 }
global:
  budget: { monthly_usd: 0.0000000000001 }
`
	_, err := Parse([]byte(src), func(m string) bool { return contains(testCatalog, m) }, testCatalog)
	if err == nil {
		t.Fatal("Parse accepted a policy full of mistakes")
	}
	for _, want := range []string{
		`unknown key budgt`,
		`line 9: want a number`,
		`"Mars/Olympus" is not a known time zone`,
		`defaults.models[0]: "claud-*" matches no model`,
		`defaults.models[1]: "[x" is not a valid glob`,
		`defaults.requests_per_minute: must be at least 1`,
		`defaults.budget.daily_usd: must be more than 0`,
		`defaults.budget.warn_at: must be a fraction`,
		`defaults.budget.downgrade_to: "nova-tiny" is not a model`,
		`models.gpt-9: "gpt-9" is not a model`,
		`models.nova-pro.requests_per_minute: must be at least 1`,
		`more than 12 decimals`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestUSDIsExact(t *testing.T) {
	p := mustParse(t, "defaults: {budget: {daily_usd: 0.1, weekly_usd: 123456.000000000001, monthly_usd: \"$7\"}}")
	r := p.rulesFor("a")
	want := [numPeriods]gateway.PicoUSD{gateway.PicoPerUSD / 10, 123456*gateway.PicoPerUSD + 1, 7 * gateway.PicoPerUSD}
	if r.budgets != want {
		t.Errorf("budgets = %v, want %v", r.budgets, want)
	}
}

// TestREADMEExample: the policy file the README shows is valid, and its
// per-model caps are in force.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n# policy.yaml")
	src, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no ```yaml block starting # policy.yaml")
	}
	p, err := Parse([]byte("# policy.yaml"+src), nil, nil)
	if err != nil {
		t.Fatalf("the README's policy: %v", err)
	}
	m := p.models["claude-opus-4-6"]
	if m == nil || m.rpm != 20 || m.concurrent != 4 || m.budgets[day] != 50*gateway.PicoPerUSD {
		t.Errorf("claude-opus-4-6's caps = %+v, want 20 requests a minute, 4 in flight, $50 a day", m)
	}
}
