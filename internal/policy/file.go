package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // the policy's timezone must load on machines without a zone database (static images)

	"go.yaml.in/yaml/v3"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// File is a policy file as written: YAML, every key optional.
type File struct {
	// Defaults apply to every agent; an agent listed under Agents takes each
	// setting it gives instead of the default's, and the defaults for the rest.
	Defaults Rules            `yaml:"defaults"`
	Agents   map[string]Rules `yaml:"agents"`
	// Models caps a model's use by every agent together.
	Models map[string]Cap `yaml:"models"`
	// Global caps the use of every agent together.
	Global Cap `yaml:"global"`
	// Timezone is when days, weeks (from Monday) and months roll over: an
	// IANA name such as Europe/Madrid. If empty, UTC.
	Timezone string `yaml:"timezone"`
}

// Rules are one agent's limits. A nil field is no limit.
type Rules struct {
	// Models are globs over catalog names (path.Match syntax, "*" for all);
	// nil allows every model.
	Models            []string `yaml:"models"`
	RequestsPerMinute *int64   `yaml:"requests_per_minute"`
	TokensPerMinute   *int64   `yaml:"tokens_per_minute"` // input + output
	MaxConcurrent     *int64   `yaml:"max_concurrent"`
	Budget            *Budget  `yaml:"budget"`
}

// Cap is a limit on every agent together: for one model, or for all. A
// model's requests_per_minute and max_concurrent count the calls sent to
// it (a cache hit is not; each fallback counts against its own model);
// the global ones count requests, as an agent's do.
type Cap struct {
	RequestsPerMinute *int64  `yaml:"requests_per_minute"`
	TokensPerMinute   *int64  `yaml:"tokens_per_minute"`
	MaxConcurrent     *int64  `yaml:"max_concurrent"`
	Budget            *Budget `yaml:"budget"`
}

// Budget is dollars per period. An agent's budget overrides the default's
// period by period.
type Budget struct {
	DailyUSD   *USD `yaml:"daily_usd"`
	WeeklyUSD  *USD `yaml:"weekly_usd"`
	MonthlyUSD *USD `yaml:"monthly_usd"`
	// WarnAt is a soft threshold, a fraction of each budget (0.8 for 80%):
	// passing it logs a warning, once per period, and refuses nothing.
	WarnAt *float64 `yaml:"warn_at"`
	// DowngradeTo names a cheaper catalog model to use instead when a call's
	// worst case no longer fits in the budget; it is charged like any call.
	DowngradeTo string `yaml:"downgrade_to"`
}

// USD is an amount of dollars read exactly from its decimal text.
type USD gateway.PicoUSD

// UnmarshalYAML reads a plain decimal number of dollars, such as 5 or
// 0.25, to the pico-dollar, without passing through a float. Its errors
// are type errors, so that decoding goes on and lists every problem.
func (u *USD) UnmarshalYAML(n *yaml.Node) error {
	if err := u.parse(n); err != nil {
		return &yaml.TypeError{Errors: []string{err.Error()}}
	}
	return nil
}

func (u *USD) parse(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want an amount of dollars such as 5 or 0.25", n.Line)
	}
	s := strings.TrimPrefix(strings.TrimSpace(n.Value), "$")
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/eE") {
		return fmt.Errorf("line %d: %q is not an amount of dollars; write it as 5 or 0.25", n.Line, n.Value)
	}
	r.Mul(r, new(big.Rat).SetInt64(gateway.PicoPerUSD))
	if !r.IsInt() || !r.Num().IsInt64() {
		return fmt.Errorf("line %d: %q has more than 12 decimals or is too large", n.Line, n.Value)
	}
	*u = USD(r.Num().Int64())
	return nil
}

// Policy is a validated policy, ready to enforce.
type Policy struct {
	// broken is why the policy file could not be applied at start: every
	// call is refused until a valid file replaces it.
	broken   error
	file     File
	loc      *time.Location
	defaults rules
	agents   map[string]*rules
	models   map[string]*rules
	global   rules
}

// rules is Rules with defaults applied and amounts as integers; a zero
// limit is none.
type rules struct {
	models        []string // nil: every model
	rpm, tpm      int64
	concurrent    int64
	budgets       [numPeriods]gateway.PicoUSD
	warnAt        float64 // 0: no soft threshold
	downgradeTo   string
	hasBudget     bool
	hasTokenLimit bool
}

// Parse reads and validates a policy. known reports whether a name is a
// catalog model's (for allow-list globs, model caps and downgrades); nil
// accepts any. Every problem is listed in the one error, each with where
// it is.
func Parse(data []byte, known func(model string) bool, models []string) (*Policy, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&f)
	if errors.Is(err, io.EOF) {
		err = nil // an empty file limits nothing
	}
	var problems []string
	var te *yaml.TypeError
	switch {
	case errors.As(err, &te):
		for _, e := range te.Errors {
			problems = append(problems, yamlProblem(e))
		}
	case err != nil:
		return nil, fmt.Errorf("policy: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	p, more := compile(f, known, models)
	problems = append(problems, more...)
	if len(problems) > 0 {
		return nil, fmt.Errorf("policy: %d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return p, nil
}

var notFoundRE = regexp.MustCompile(`field (\S+) not found in type \S+`)

// yamlProblem rewords the YAML library's messages for the person editing
// the file.
func yamlProblem(msg string) string {
	msg = notFoundRE.ReplaceAllString(msg, "unknown key $1")
	msg = strings.ReplaceAll(msg, "cannot unmarshal !!str", "want a number, got the text")
	return msg
}

func compile(f File, known func(string) bool, catalog []string) (*Policy, []string) {
	var problems []string
	bad := func(where, format string, args ...any) {
		problems = append(problems, where+": "+fmt.Sprintf(format, args...))
	}
	p := &Policy{file: f, loc: time.UTC, agents: map[string]*rules{}, models: map[string]*rules{}}
	if f.Timezone != "" {
		loc, err := time.LoadLocation(f.Timezone)
		if err != nil {
			bad("timezone", "%q is not a known time zone; use an IANA name such as UTC or Europe/Madrid", f.Timezone)
		} else {
			p.loc = loc
		}
	}
	checkModel := func(where, name string) {
		if known != nil && !known(name) {
			bad(where, "%q is not a model in the catalog; see list_models for the names", name)
		}
	}
	checkRules := func(where string, r Rules) {
		for i, g := range r.Models {
			w := fmt.Sprintf("%s.models[%d]", where, i)
			if _, err := path.Match(g, ""); err != nil {
				bad(w, "%q is not a valid glob", g)
			} else if catalog != nil && !slices.ContainsFunc(catalog, func(m string) bool { ok, _ := path.Match(g, m); return ok }) {
				bad(w, "%q matches no model in the catalog", g)
			}
		}
		checkLimits(bad, where, r.RequestsPerMinute, r.TokensPerMinute, r.MaxConcurrent, r.Budget, checkModel)
	}
	checkRules("defaults", f.Defaults)
	p.defaults = flatten(Rules{}, f.Defaults)
	for _, name := range sortedKeys(f.Agents) {
		r := f.Agents[name]
		if name == "" {
			bad("agents", "an agent's name is empty")
		}
		checkRules("agents."+name, r)
		a := flatten(f.Defaults, r)
		p.agents[name] = &a
	}
	for _, name := range sortedKeys(f.Models) {
		c := f.Models[name]
		where := "models." + name
		checkModel(where, name)
		checkLimits(bad, where, c.RequestsPerMinute, c.TokensPerMinute, c.MaxConcurrent, c.Budget, checkModel)
		m := flatten(Rules{}, Rules{RequestsPerMinute: c.RequestsPerMinute, TokensPerMinute: c.TokensPerMinute, MaxConcurrent: c.MaxConcurrent, Budget: c.Budget})
		p.models[name] = &m
	}
	checkLimits(bad, "global", f.Global.RequestsPerMinute, f.Global.TokensPerMinute, f.Global.MaxConcurrent, f.Global.Budget, checkModel)
	p.global = flatten(Rules{}, Rules{RequestsPerMinute: f.Global.RequestsPerMinute, TokensPerMinute: f.Global.TokensPerMinute, MaxConcurrent: f.Global.MaxConcurrent, Budget: f.Global.Budget})
	return p, problems
}

func checkLimits(bad func(string, string, ...any), where string, rpm, tpm, conc *int64, b *Budget, checkModel func(string, string)) {
	for _, l := range []struct {
		name string
		v    *int64
	}{{"requests_per_minute", rpm}, {"tokens_per_minute", tpm}, {"max_concurrent", conc}} {
		if l.v != nil && *l.v < 1 {
			bad(where+"."+l.name, "must be at least 1 (leave it out for no limit)")
		}
	}
	if b == nil {
		return
	}
	for i, v := range []*USD{b.DailyUSD, b.WeeklyUSD, b.MonthlyUSD} {
		if v != nil && *v <= 0 {
			bad(where+".budget."+period(i).key(), "must be more than 0 (leave it out for no budget)")
		}
	}
	if b.WarnAt != nil && (*b.WarnAt <= 0 || *b.WarnAt >= 1) {
		bad(where+".budget.warn_at", "must be a fraction between 0 and 1, e.g. 0.8 to warn at 80%%")
	}
	if b.DowngradeTo != "" {
		checkModel(where+".budget.downgrade_to", b.DowngradeTo)
	}
}

// flatten applies an agent's rules over the defaults, setting by setting
// and budget period by budget period.
func flatten(def, r Rules) rules {
	pick := func(a, b *int64) int64 {
		if a != nil {
			return *a
		}
		if b != nil {
			return *b
		}
		return 0
	}
	out := rules{
		models:     r.Models,
		rpm:        pick(r.RequestsPerMinute, def.RequestsPerMinute),
		tpm:        pick(r.TokensPerMinute, def.TokensPerMinute),
		concurrent: pick(r.MaxConcurrent, def.MaxConcurrent),
	}
	if out.models == nil {
		out.models = def.Models
	}
	for _, b := range []*Budget{def.Budget, r.Budget} {
		if b == nil {
			continue
		}
		for i, v := range []*USD{b.DailyUSD, b.WeeklyUSD, b.MonthlyUSD} {
			if v != nil {
				out.budgets[i] = gateway.PicoUSD(*v)
			}
		}
		if b.WarnAt != nil {
			out.warnAt = *b.WarnAt
		}
		if b.DowngradeTo != "" {
			out.downgradeTo = b.DowngradeTo
		}
	}
	for _, v := range out.budgets {
		out.hasBudget = out.hasBudget || v > 0
	}
	out.hasTokenLimit = out.tpm > 0
	return out
}

// Refusing returns a policy that admits no call, saying why: for a policy
// file that fails validation at start, so that a gateway meant to be
// limited never runs unlimited. A valid file applied later replaces it.
func Refusing(why error) *Policy {
	return &Policy{broken: why, loc: time.UTC}
}

// rulesFor is the rules that apply to agent.
func (p *Policy) rulesFor(agent string) *rules {
	if r, ok := p.agents[agent]; ok {
		return r
	}
	return &p.defaults
}

// Location is the policy's timezone.
func (p *Policy) Location() *time.Location { return p.loc }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
