// Package prom exports what the gateway does as Prometheus metrics, named
// after the OpenTelemetry GenAI semantic conventions as Prometheus spells
// them (gen_ai_client_token_usage, gen_ai_client_operation_duration_seconds)
// and, for the gateway's own figures, under the llm_gateway_ prefix.
//
// A Recorder is a gateway.Recorder: it receives one Event per finished
// request and counts it. Its Handler serves the text exposition format for
// a scraper. Every label value is bounded: a model is named only when the
// catalog knows it, and only so many agents are named one by one, so that
// callers who make up names cannot grow the series without bound.
package prom

import (
	"context"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Label values used when the real one cannot be a label.
const (
	// Anonymous is the agent of requests that name none.
	Anonymous = "anonymous"
	// NoModel is the model of requests that name none.
	NoModel = "(none)"
	// Other gathers model names the catalog does not know and agents beyond
	// the cap.
	Other = "(other)"
)

// Provider is the gen_ai.provider.name of every call: the GenAI
// conventions' name for Bedrock.
const Provider = "aws.bedrock"

// DefaultMaxAgents is the cap on agents named one by one when
// Options.MaxAgents is zero.
const DefaultMaxAgents = 100

// Options configure a Recorder. The zero value of each field is its default.
type Options struct {
	// Models are the catalog's model names: only these become label values;
	// any other name counts as Other.
	Models []string
	// MaxAgents caps the agents named in labels; later ones count as
	// Other. If zero, 100.
	MaxAgents int
	// InFlight reports the upstream calls under way, for llm_gateway_in_flight.
	// If nil, the gauge is not exported.
	InFlight func() int
	// Budgets reports what is left of each agent's budgets, for
	// llm_gateway_budget_remaining_usd, read at each scrape. If nil, the
	// gauge is not exported.
	Budgets func(ctx context.Context) []Budget
	// Version is exported as llm_gateway_build_info{version}.
	Version string
	// Runtime adds the Go runtime and process collectors (go_*, process_*).
	Runtime bool
}

// Budget is what is left of one agent's budget for one period.
type Budget struct {
	Agent  string
	Period string // "day", "month", …
	// RemainingUSD is the budget less what was spent and reserved; it may
	// be negative after an overrun.
	RemainingUSD float64
}

// Recorder counts events into Prometheus metrics. It implements
// gateway.Recorder and is safe for concurrent use. Create it with New.
type Recorder struct {
	reg    *prometheus.Registry
	models map[string]bool

	tokens      *prometheus.HistogramVec
	duration    *prometheus.HistogramVec
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	money       *moneyCollector
	unpriced    prometheus.Counter
	cache       *prometheus.CounterVec
	upstreamErr *prometheus.CounterVec
	fallbacks   prometheus.Counter

	// The children a successful request or attempt counts into, looked up
	// once (WithLabelValues hashes its labels under the vector's lock:
	// seven times a miss). As bounded as the labels they hold.
	hit, miss, coalesced prometheus.Counter

	maxAgents int
	mu        sync.Mutex // guards agents, answered and attempted
	agents    map[string]bool
	answered  map[seriesKey]answeredSeries
	attempted map[string]attemptSeries
}

// seriesKey is an agent and a model, as labels.
type seriesKey struct{ agent, model string }

// answeredSeries count a request of one agent and model answered without error.
type answeredSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// attemptSeries count a successful Bedrock attempt of one model.
type attemptSeries struct {
	duration, input, output prometheus.Observer
}

var _ gateway.Recorder = (*Recorder)(nil)

// Buckets of the GenAI conventions' advice for the two gen_ai_ histograms.
var (
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
)

// upstreamKinds are the kinds a Bedrock attempt fails with: their error
// counters exist from the start at zero.
var upstreamKinds = []gateway.ErrorKind{
	gateway.KindThrottled, gateway.KindUnavailable, gateway.KindTimeout, gateway.KindModelError,
	gateway.KindModelNotFound, gateway.KindEndOfLife, gateway.KindAccessDenied,
	gateway.KindInvalidRequest, gateway.KindCanceled, gateway.KindInternal,
}

// New returns a Recorder with its own registry (never the global one).
func New(opts Options) *Recorder {
	r := &Recorder{
		reg:       prometheus.NewRegistry(),
		models:    make(map[string]bool, len(opts.Models)),
		maxAgents: opts.MaxAgents,
		agents:    make(map[string]bool),
		answered:  make(map[seriesKey]answeredSeries),
		attempted: make(map[string]attemptSeries),
	}
	if r.maxAgents <= 0 {
		r.maxAgents = DefaultMaxAgents
	}
	for _, m := range opts.Models {
		r.models[m] = true
	}
	genAI := []string{"gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model"}
	r.tokens = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gen_ai_client_token_usage",
		Help:    "Tokens used per upstream model call, by gen_ai_token_type (input or output).",
		Buckets: tokenBuckets,
	}, append(genAI, "gen_ai_token_type"))
	r.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gen_ai_client_operation_duration_seconds",
		Help:    "Duration of each upstream model call (each Bedrock attempt), in seconds; error_type is set when it failed.",
		Buckets: durationBuckets,
	}, append(genAI, "error_type"))
	r.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "llm_gateway_requests_total",
		Help: "Generate requests finished, by agent, model and outcome (ok, or the error kind).",
	}, []string{"agent", "model", "outcome"})
	r.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "llm_gateway_request_duration_seconds",
		Help:    "Time from a request's arrival to its answer, cache hits and fallbacks included, in seconds.",
		Buckets: append([]float64{0.0001, 0.001, 0.005}, durationBuckets...),
	}, []string{"model"})
	r.money = &moneyCollector{sums: make(map[moneyKey]*moneySums)}
	r.unpriced = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "llm_gateway_unpriced_requests_total",
		Help: "Requests that used tokens of a model whose price is unknown: their cost is not in llm_gateway_cost_usd_total.",
	})
	r.cache = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "llm_gateway_cache_requests_total",
		Help: "Answered requests by result: hit (from the cache), coalesced (shared with an identical request in flight), miss (called the model).",
	}, []string{"result"})
	r.upstreamErr = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "llm_gateway_upstream_errors_total",
		Help: "Failed Bedrock attempts, by error kind (throttled, unavailable, timeout, …).",
	}, []string{"kind"})
	r.fallbacks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "llm_gateway_fallbacks_total",
		Help: "Times a request moved on to a fallback model after one failed.",
	})
	r.reg.MustRegister(r.tokens, r.duration, r.requests, r.latency, r.money, r.unpriced, r.cache, r.upstreamErr, r.fallbacks)
	// The cache results exist from the start, so that a rate over them is
	// defined before the first hit.
	r.hit, r.miss, r.coalesced = r.cache.WithLabelValues("hit"), r.cache.WithLabelValues("miss"), r.cache.WithLabelValues("coalesced")
	for _, k := range upstreamKinds {
		r.upstreamErr.WithLabelValues(string(k))
	}

	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "llm_gateway_build_info",
		Help:        "Always 1; its version label says which gateway is running.",
		ConstLabels: prometheus.Labels{"version": opts.Version},
	})
	info.Set(1)
	r.reg.MustRegister(info)
	if opts.InFlight != nil {
		r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "llm_gateway_in_flight",
			Help: "Bedrock calls under way now.",
		}, func() float64 { return float64(opts.InFlight()) }))
	}
	if opts.Budgets != nil {
		r.reg.MustRegister(&budgetCollector{budgets: opts.Budgets, label: r.agentLabel})
	}
	if opts.Runtime {
		r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return r
}

// Handler serves the metrics in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func (r *Recorder) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Gatherer is the registry, for tests and for embedding in another.
func (r *Recorder) Gatherer() prometheus.Gatherer { return r.reg }

// Record counts one finished request.
//
// Tokens and upstream durations are counted per Bedrock attempt, as the
// GenAI conventions count client operations; a cached or coalesced answer
// made no call and adds none. Requests, latency, cost and savings are
// counted per request.
func (r *Recorder) Record(_ context.Context, ev gateway.Event) {
	agent, model := r.agentLabel(ev.Agent), r.modelLabel(ev.Model)
	if ev.Kind == "" {
		s := r.answeredSeries(agent, model)
		s.requests.Inc()
		s.latency.Observe(ev.Latency.Seconds())
	} else {
		r.requests.WithLabelValues(agent, model, string(ev.Kind)).Inc()
		r.latency.WithLabelValues(model).Observe(ev.Latency.Seconds())
	}
	if ev.Cost != 0 || ev.Saved != 0 {
		r.money.add(agent, model, ev.Cost, ev.Saved)
	}
	upstream := !ev.Cached && !ev.Coalesced
	if upstream && !ev.Priced && ev.Usage.Total() > 0 {
		r.unpriced.Inc()
	}
	if ev.Kind == "" {
		switch {
		case ev.Cached:
			r.hit.Inc()
		case ev.Coalesced:
			r.coalesced.Inc()
		default:
			r.miss.Inc()
		}
	}
	if ev.Fallbacks > 0 {
		r.fallbacks.Add(float64(ev.Fallbacks))
	}
	for _, a := range ev.Attempts {
		m := r.modelLabel(a.Model)
		in := a.Usage.InputTokens + a.Usage.CacheReadTokens + a.Usage.CacheWriteTokens
		if a.Kind == "" {
			s := r.attemptSeries(m)
			s.duration.Observe(a.Latency.Seconds())
			s.input.Observe(float64(in))
			s.output.Observe(float64(a.Usage.OutputTokens))
			continue
		}
		errType := string(a.Kind)
		r.upstreamErr.WithLabelValues(errType).Inc()
		r.duration.WithLabelValues("chat", Provider, m, errType).Observe(a.Latency.Seconds())
		if a.Usage.Total() > 0 {
			r.tokens.WithLabelValues("chat", Provider, m, "input").Observe(float64(in))
			r.tokens.WithLabelValues("chat", Provider, m, "output").Observe(float64(a.Usage.OutputTokens))
		}
	}
}

// answeredSeries are the children of a request of agent and model
// answered without error.
func (r *Recorder) answeredSeries(agent, model string) answeredSeries {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := seriesKey{agent, model}
	s, ok := r.answered[k]
	if !ok {
		s = answeredSeries{requests: r.requests.WithLabelValues(agent, model, "ok"), latency: r.latency.WithLabelValues(model)}
		r.answered[k] = s
	}
	return s
}

// attemptSeries are the children of a successful attempt of model.
func (r *Recorder) attemptSeries(model string) attemptSeries {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.attempted[model]
	if !ok {
		s = attemptSeries{
			duration: r.duration.WithLabelValues("chat", Provider, model, ""),
			input:    r.tokens.WithLabelValues("chat", Provider, model, "input"),
			output:   r.tokens.WithLabelValues("chat", Provider, model, "output"),
		}
		r.attempted[model] = s
	}
	return s
}

// modelLabel is name if the catalog knows it.
func (r *Recorder) modelLabel(name string) string {
	switch {
	case name == "":
		return NoModel
	case r.models[name]:
		return name
	}
	return Other
}

// agentLabel is name while fewer than MaxAgents agents have been named.
func (r *Recorder) agentLabel(name string) string {
	if name == "" {
		return Anonymous
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.agents[name] {
		return name
	}
	if len(r.agents) >= r.maxAgents {
		return Other
	}
	r.agents[name] = true
	return name
}

// budgetCollector reads the budgets at each scrape.
type budgetCollector struct {
	budgets func(context.Context) []Budget
	label   func(string) string
}

var budgetDesc = prometheus.NewDesc("llm_gateway_budget_remaining_usd",
	"What is left of an agent's budget for the period, in US dollars (negative after an overrun).",
	[]string{"agent", "period"}, nil)

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) { ch <- budgetDesc }

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	seen := make(map[[2]string]bool)
	for _, b := range c.budgets(context.Background()) {
		k := [2]string{c.label(b.Agent), b.Period}
		if seen[k] { // agents beyond the cap share Other: report one
			continue
		}
		seen[k] = true
		ch <- prometheus.MustNewConstMetric(budgetDesc, prometheus.GaugeValue, b.RemainingUSD, k[0], k[1])
	}
}

// moneyCollector sums spend and savings in exact picodollars and turns the
// sums into dollars only at scrape time, so that the exported figure is the
// exact total rounded once, as get_stats reports it, and never drifts by
// adding float dollars call after call.
type moneyCollector struct {
	mu   sync.Mutex
	sums map[moneyKey]*moneySums
}

type moneyKey struct{ agent, model string }

type moneySums struct{ cost, saved gateway.PicoUSD }

var (
	costDesc = prometheus.NewDesc("llm_gateway_cost_usd_total",
		"Spend on Bedrock at catalog prices, in US dollars, by agent and model. Unpriced calls add nothing here: see llm_gateway_unpriced_requests_total.",
		[]string{"agent", "model"}, nil)
	savedDesc = prometheus.NewDesc("llm_gateway_saved_usd_total",
		"What answers from the cache or shared with an identical request would have cost, in US dollars.",
		[]string{"agent", "model"}, nil)
)

func (c *moneyCollector) add(agent, model string, cost, saved gateway.PicoUSD) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sums[moneyKey{agent, model}]
	if s == nil {
		s = &moneySums{}
		c.sums[moneyKey{agent, model}] = s
	}
	s.cost += cost
	s.saved += saved
}

func (c *moneyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- costDesc
	ch <- savedDesc
}

func (c *moneyCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.sums {
		ch <- prometheus.MustNewConstMetric(costDesc, prometheus.CounterValue, s.cost.USD(), k.agent, k.model)
		ch <- prometheus.MustNewConstMetric(savedDesc, prometheus.CounterValue, s.saved.USD(), k.agent, k.model)
	}
}
