package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
)

// The miss benchmarks put the gateway and a direct AWS SDK call side by
// side on one simulator in this process, as `llm-gateway bench` does with
// its in-process rows: the difference of ns/op, allocs/op and B/op between
// BenchmarkConverseDirect and the others is what the gateway adds to a
// Bedrock call (its core alone, then each HTTP front). Run them in one
// invocation, with -count, and compare within it.

const (
	missBenchKey    = "AKIDMISSBENCH"
	missBenchSecret = "miss-bench-secret"
	missBenchAPIKey = "miss-bench-agent-key-0123456789"
)

// missBenchSim serves a simulator on loopback that accepts the benchmark's
// credentials, until the benchmark ends.
func missBenchSim(b *testing.B) string {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	url, done, err := startSimulator(ctx, bedrocksim.Options{AccessKeyID: missBenchKey, SecretAccessKey: missBenchSecret, Region: "us-east-1"})
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); done() })
	return url
}

// missBenchEnv is a gateway's environment against the simulator at url,
// with its ledger in memory and one agent key.
func missBenchEnv(b *testing.B, url string) func(string) string {
	env := map[string]string{
		"HOME": b.TempDir(), "STORE_URL": "memory:", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": missBenchKey, "AWS_SECRET_ACCESS_KEY": missBenchSecret,
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url, "BEDROCK_MAX_ATTEMPTS": "1",
		"API_KEYS": "bench:" + missBenchAPIKey,
	}
	return func(k string) string { return env[k] }
}

// missBenchGateway wires a gateway as the bench harness does, on the
// simulator at url.
func missBenchGateway(b *testing.B, url string) (gw mcpserver.Generator, h http.Handler) {
	b.Helper()
	getenv := missBenchEnv(b, url)
	w := benchWiring()
	g, err := w.Gateway(context.Background(), getenv, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(g.Close)
	h, err = w.HTTPHandler(g.MCP, g.Lane, g.Routes, getenv, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	return g.Generator, h
}

// reportCPU reports the process's CPU time per op from now on, when the
// returned func is called after the loop: on a shared machine it moves
// less than ns/op, which counts waiting for a CPU. It also reports the
// read and write system calls per op (on Linux), which do not move with
// the load at all. The simulator runs in this process too, in every
// benchmark here alike.
func reportCPU(b *testing.B) func() {
	cpu0 := processCPU()
	r0, w0, ok0 := processSyscalls()
	return func() {
		b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		if r1, w1, ok1 := processSyscalls(); ok0 && ok1 {
			b.ReportMetric(float64(r1-r0)/float64(b.N), "reads/op")
			b.ReportMetric(float64(w1-w0)/float64(b.N), "writes/op")
		}
	}
}

// processSyscalls is the read and write system calls this process has
// made so far (syscr and syscw of /proc/self/io), or false where there is
// no such file.
func processSyscalls() (reads, writes int64, ok bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ": ")
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
		case k == "syscr":
			reads = n
		case k == "syscw":
			writes = n
		}
	}
	return reads, writes, true
}

// missPrompt is a question not asked before in this process.
func missPrompt(i int) string { return "question " + strconv.Itoa(i) + ": name a river of Europe" }

// BenchmarkConverseDirect is the Converse call the gateway makes for a
// miss, made directly with the AWS SDK: the floor of every miss.
func BenchmarkConverseDirect(b *testing.B) {
	url := missBenchSim(b)
	cfg, err := awsconfig.LoadDefaultConfig(b.Context(), awsconfig.WithRegion("us-east-1"), awsconfig.WithRetryMaxAttempts(1),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(missBenchKey, missBenchSecret, "")))
	if err != nil {
		b.Fatal(err)
	}
	client := bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) { o.BaseEndpoint = aws.String(url) })
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		i++
		_, err := client.Converse(context.Background(), &bedrockruntime.ConverseInput{
			ModelId: aws.String("us.amazon.nova-lite-v1:0"),
			Messages: []types.Message{{Role: types.ConversationRoleUser,
				Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: missPrompt(i)}}}},
			InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(200)},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateMissSim is the core's miss on the same simulator, as
// the bench harness wires it (ledger in memory): compare with
// BenchmarkConverseDirect.
func BenchmarkGenerateMissSim(b *testing.B) {
	gw, _ := missBenchGateway(b, missBenchSim(b))
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		i++
		r, err := gw.Generate(context.Background(), &gateway.Request{Model: "nova-lite", MaxTokens: 200, Agent: "bench",
			Messages: []gateway.Message{{Role: gateway.RoleUser, Content: missPrompt(i)}}})
		if err != nil || r.Cached {
			b.Fatalf("Generate = %v, %v; want a fresh answer", r, err)
		}
	}
}

// benchFront posts body(i) to path on the gateway's HTTP stack over
// loopback, checking each answer with ok. The client's work is counted
// too; it is the same in every front's rows.
func benchFront(b *testing.B, path string, header http.Header, body func(i int) string, ok func([]byte) bool) {
	_, h := missBenchGateway(b, missBenchSim(b))
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	hc := srv.Client()
	post := func(i int, ok func([]byte) bool) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader([]byte(body(i))))
		if err != nil {
			b.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+missBenchAPIKey)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !ok(out) {
			b.Fatalf("call %d: %d %s %v", i, resp.StatusCode, out, err)
		}
	}
	post(0, func([]byte) bool { return true }) // a hit's question is asked once first
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		i++
		post(i, ok)
	}
}

func openAIBody(prompt string) string {
	return `{"model":"nova-lite","max_tokens":200,"messages":[{"role":"user","content":` + strconv.Quote(prompt) + `}]}`
}

func anthropicBody(prompt string) string {
	return `{"model":"nova-lite","max_tokens":200,"messages":[{"role":"user","content":` + strconv.Quote(prompt) + `}]}`
}

var anthropicHeader = http.Header{"Anthropic-Version": {"2023-06-01"}}

// fresh and cached tell a miss from a hit by the gateway's extension.
func fresh(out []byte) bool  { return bytes.Contains(out, []byte(`"cached":false`)) }
func cached(out []byte) bool { return bytes.Contains(out, []byte(`"cached":true`)) }

// BenchmarkOpenAIMiss and the others are a chat completion (or an
// Anthropic message) over loopback HTTP through the gateway's whole HTTP
// stack, answered fresh by the simulator (Miss) or from the cache (Hit).
func BenchmarkOpenAIMiss(b *testing.B) {
	benchFront(b, "/v1/chat/completions", nil, func(i int) string { return openAIBody(missPrompt(i)) }, fresh)
}

func BenchmarkOpenAIHit(b *testing.B) {
	benchFront(b, "/v1/chat/completions", nil, func(int) string { return openAIBody("What is the capital of France?") }, cached)
}

func BenchmarkAnthropicMiss(b *testing.B) {
	benchFront(b, "/v1/messages", anthropicHeader, func(i int) string { return anthropicBody(missPrompt(i)) }, fresh)
}

func BenchmarkAnthropicHit(b *testing.B) {
	benchFront(b, "/v1/messages", anthropicHeader, func(int) string { return anthropicBody("What is the capital of France?") }, cached)
}
