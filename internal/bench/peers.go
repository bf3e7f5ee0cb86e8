package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
)

// The peer rows (bench --peers): the same Bedrock Converse call made
// directly, through one more hop, through our OpenAI-compatible front, and
// through other gateways, side by side in one interleaved run.
const (
	namePeerDirect = "peers: Converse with the AWS SDK (direct)"
	namePeerProxy  = "peers: Go reverse proxy in front of the simulator (one more hop)"
	namePeerOurs   = "peers: llm-gateway, OpenAI chat completion → Converse, cache miss"
)

// reverseProxy is the floor of "one more hop": the standard library's
// reverse proxy, nothing else. The Host header is the proxy's, which the
// client signed, so the simulator's SigV4 check passes unchanged.
func reverseProxy(target string) (http.Handler, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("reverse proxy: target %q is not a URL", target)
	}
	p := httputil.NewSingleHostReverseProxy(u) //nolint:gosec // the benchmark's own upstream on loopback
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	p.Transport = t
	return p, nil
}

// runPeers measures the peer rows side by side, as runLatency does, into
// Report.Peers; a peer that cannot run here is a row with its reason.
func (h *harness) runPeers(ctx context.Context) {
	var specs []*runSpec
	var failures []Result
	var closers []func(*Result)
	add := func(name string, spec *runSpec, closeFn func(*Result), err error) {
		if err != nil {
			failures = append(failures, failed(name, err))
			return
		}
		specs = append(specs, spec)
		closers = append(closers, closeFn)
	}

	h.progress("start %s", namePeerDirect)
	direct, err := sdkClient(ctx, h.simURL)
	var spec *runSpec
	if err == nil {
		spec = &runSpec{name: namePeerDirect, transport: "in-process", measured: measuredHarness, perCall: true,
			warm: h.sizes.warm, n: h.sizes.calls, conns: h.simConns,
			sessions: []callFunc{func(ctx context.Context, i int) error {
				return h.converse(ctx, direct, defaultModelID, h.missPrompt("peer-direct", i))
			}}}
	}
	add(namePeerDirect, spec, nil, err)

	h.progress("start %s", namePeerProxy)
	spec, c, err := h.startServed(ctx, namePeerProxy, "http", modePeerProxy, nil, func(ctx context.Context, c *child) ([]callFunc, error) {
		cl, err := sdkClient(ctx, "http://"+c.addr)
		if err != nil {
			return nil, err
		}
		return []callFunc{func(ctx context.Context, i int) error {
			return h.converse(ctx, cl, defaultModelID, h.missPrompt("peer-proxy", i))
		}}, nil
	})
	add(namePeerProxy, spec, childCloser(c), err)

	h.progress("start %s", namePeerOurs)
	spec, c, err = h.startServed(ctx, namePeerOurs, "http", modeGatewayHTTP, nil,
		h.apiCalls(openAIPath, h.missBody("peer-ours"), wantCached(false), false))
	add(namePeerOurs, spec, childCloser(c), err)

	if h.portkey != nil {
		h.progress("start %s", portkeyName)
		spec, closeFn, err := h.portkey(ctx)
		add(portkeyName, spec, closeFn, err)
	}

	h.progress("%d peer scenarios, interleaved in blocks of %d calls", len(specs), h.sizes.block)
	results := measureInterleaved(ctx, specs, h.sizes.block)
	for i := range results {
		if closers[i] != nil {
			closers[i](&results[i])
		}
	}
	h.report.Peers = append(results, failures...)
}

func childCloser(c *child) func(*Result) {
	if c == nil {
		return nil
	}
	return func(r *Result) { closeChild(c, r) }
}

// sdkClient is a Bedrock Runtime client as an application configures one,
// sending to endpoint.
func sdkClient(ctx context.Context, endpoint string) (*bedrockruntime.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(benchRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(benchAccessKey, benchSecretKey, "")),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	}), nil
}

// PeerRatio is one row of the side-by-side table: what a path adds to the
// direct call, and what its serving process spends, each also as a ratio
// to llm-gateway's own figure (1 for llm-gateway).
type PeerRatio struct {
	Name      string  `json:"name"`
	AddedP50  float64 `json:"added_p50_us"`
	AddedP99  float64 `json:"added_p99_us"`
	CPUPer1k  float64 `json:"cpu_ms_per_1k_calls"`
	PeakRSS   float64 `json:"peak_rss_mib"`
	P50Ratio  float64 `json:"added_p50_ratio"`
	CPURatio  float64 `json:"cpu_ratio"`
	RSSRatio  float64 `json:"rss_ratio"`
	Errors    int     `json:"errors"`
	FirstErr  string  `json:"first_error,omitempty"`
	IsGateway bool    `json:"is_llm_gateway"`
}

// peerRatios derives the side-by-side table from Report.Peers: every row
// but the direct call, against the direct call and against ours.
func peerRatios(peers []Result) ([]PeerRatio, error) {
	var direct, ours *Result
	for i := range peers {
		switch peers[i].Name {
		case namePeerDirect:
			direct = &peers[i]
		case namePeerOurs:
			ours = &peers[i]
		}
	}
	if direct == nil || direct.Errors > 0 || ours == nil || ours.Errors > 0 {
		return nil, errors.New("no direct call or no llm-gateway row without errors to compare with")
	}
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return round2(a / b)
	}
	oursAdded := ours.P50 - direct.P50
	var out []PeerRatio
	for _, p := range peers {
		if p.Name == namePeerDirect {
			continue
		}
		r := PeerRatio{Name: p.Name, Errors: p.Errors, FirstErr: p.FirstError, IsGateway: p.Name == namePeerOurs}
		if p.Errors == 0 {
			r.AddedP50 = round1(p.P50 - direct.P50)
			r.AddedP99 = round1(p.P99 - direct.P99)
			r.CPUPer1k, r.PeakRSS = p.CPUPer1k, p.PeakRSS
			r.P50Ratio = ratio(r.AddedP50, oursAdded)
			r.CPURatio = ratio(p.CPUPer1k, ours.CPUPer1k)
			r.RSSRatio = ratio(p.PeakRSS, ours.PeakRSS)
		}
		out = append(out, r)
	}
	return out, nil
}
