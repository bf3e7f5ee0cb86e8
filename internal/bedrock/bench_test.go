package bedrock

import (
	"fmt"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// benchPrompt and benchMaxTokens make the call a gateway miss makes in the
// project's bench: one user message and a max_tokens.
const (
	benchPrompt    = "What is the capital of France?"
	benchMaxTokens = 64
)

// oneModel is a catalog of one model, for the gateway sub-benchmark.
type oneModel struct{}

func (oneModel) Resolve(string) (gateway.Model, error) {
	return gateway.Model{Name: "nova-pro", ID: novaPro, MaxOutputTokens: 5000, MaxTemperature: 1,
		SupportsSystem: true, SupportsToolUse: true, Status: gateway.StatusActive}, nil
}

// converseBench is the simulator and the three ways of making one
// Converse call that BenchmarkConverse and BenchmarkConverseInterleaved
// compare.
type converseBench struct {
	sdk, client, gateway func(i int) error
}

func newConverseBench(b *testing.B) converseBench {
	sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: simKeyID, SecretAccessKey: simSecret, Region: simRegion})
	srv := httptest.NewServer(sim)
	b.Cleanup(srv.Close)
	c, err := New(b.Context(), Options{
		Endpoint: srv.URL, Region: simRegion, HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, ""),
	})
	if err != nil {
		b.Fatal(err)
	}
	rt := bedrockruntime.New(bedrockruntime.Options{
		Region: simRegion, BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client(),
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(simKeyID, simSecret, "")),
	})
	g, err := gateway.New(gateway.Options{Catalog: oneModel{}, Provider: c})
	if err != nil {
		b.Fatal(err)
	}
	in := &bedrockruntime.ConverseInput{
		ModelId: aws.String(novaPro),
		Messages: []types.Message{{Role: types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: benchPrompt}}}},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(benchMaxTokens)},
	}
	call := &gateway.Call{ModelID: novaPro, SupportsSystem: true, MaxTokens: benchMaxTokens,
		Messages: []gateway.Message{user(benchPrompt)}}
	return converseBench{
		sdk: func(int) error {
			_, err := rt.Converse(b.Context(), in)
			return err
		},
		client: func(int) error {
			_, err := c.Converse(b.Context(), call)
			return err
		},
		gateway: func(i int) error {
			_, err := g.Generate(b.Context(), &gateway.Request{Model: "nova-pro", MaxTokens: benchMaxTokens,
				Messages: []gateway.Message{user(fmt.Sprintf("%s %d", benchPrompt, i))}})
			return err
		},
	}
}

// BenchmarkConverse measures, against one simulator on loopback (whose
// own cost all include), the same Converse call made
//
//   - sdk: with the AWS SDK as an application would (issue 19's floor);
//   - client: through Client.Converse, the gateway's Bedrock client;
//   - gateway: through Gateway.Generate, a new question each time (a
//     miss; no cache, ledger or admission: the core alone).
//
// Its allocations are exact; for time on a shared machine, see
// BenchmarkConverseInterleaved.
func BenchmarkConverse(b *testing.B) {
	cb := newConverseBench(b)
	for _, v := range []struct {
		name string
		call func(int) error
	}{{"sdk", cb.sdk}, {"client", cb.client}, {"gateway", cb.gateway}} {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if err := v.call(i); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConverseInterleaved makes the calls of BenchmarkConverse in
// turns, in blocks of a few calls of each kind, so that the machine's
// other work weighs on all alike, and reports each kind's median latency
// (sdk-p50-ns, ...), the process's CPU time per call of it (sdk-cpu-ns,
// ...: the simulator's and the GC's included, so only differences mean
// something), and the ratios issue 19 asks about. b.N counts blocks.
func BenchmarkConverseInterleaved(b *testing.B) {
	const block = 20
	cb := newConverseBench(b)
	calls := []func(int) error{cb.sdk, cb.client, cb.gateway}
	var took [3][]time.Duration
	var cpu [3]time.Duration
	i := 0
	for b.Loop() {
		for j, call := range calls {
			before := cpuTime(b)
			for range block {
				i++
				start := time.Now()
				if err := call(i); err != nil {
					b.Fatal(err)
				}
				took[j] = append(took[j], time.Since(start))
			}
			cpu[j] += cpuTime(b) - before
		}
	}
	var p50 [3]float64
	for j, name := range []string{"sdk", "client", "gateway"} {
		slices.Sort(took[j])
		p50[j] = float64(took[j][len(took[j])/2].Nanoseconds())
		b.ReportMetric(p50[j], name+"-p50-ns")
		b.ReportMetric(float64(cpu[j].Nanoseconds())/float64(len(took[j])), name+"-cpu-ns")
	}
	b.ReportMetric(p50[1]/p50[0], "client/sdk")
	b.ReportMetric((p50[2]-p50[0])/p50[0], "(gateway-sdk)/sdk")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
