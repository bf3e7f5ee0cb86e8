package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/anthropicapi"
	"github.com/llm-gateway/llm-gateway/internal/bedrock"
	"github.com/llm-gateway/llm-gateway/internal/cache"
	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpserver"
	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
	"github.com/llm-gateway/llm-gateway/internal/openaiapi"
)

// The test binary doubles as the harness's child and as the gateway
// command: the harness starts it with these first arguments.
const (
	testChildArg   = "bench-test-child"
	testGatewayArg = "bench-test-gateway"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case testChildArg:
			exit(RunChild(signalContext(), os.Args[2:], testWiring(), os.Stdin, os.Stdout))
		case testGatewayArg:
			exit(serveTestGateway())
		}
	}
	os.Exit(m.Run())
}

func exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func signalContext() context.Context {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	return ctx
}

func serveTestGateway() error {
	ctx := signalContext()
	gw, err := testWiring().Gateway(ctx, os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	defer gw.Close()
	err = gw.MCP.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(os.Stdin), Writer: nopWriteCloser{os.Stdout}})
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// testWiring wires a gateway much as the serve command does (which this
// package cannot import), from the same environment variables.
func testWiring() Wiring {
	return Wiring{Gateway: func(ctx context.Context, getenv func(string) string, stderr io.Writer) (*Gateway, error) {
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		cat, err := catalog.Load(catalog.Options{Region: getenv("AWS_REGION")})
		if err != nil {
			return nil, err
		}
		prov, err := bedrock.New(ctx, bedrock.Options{
			Region:      getenv("AWS_REGION"),
			Endpoint:    getenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME"),
			Credentials: credentials.NewStaticCredentialsProvider(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), ""),
			MaxAttempts: 1,
			Logger:      log,
		})
		if err != nil {
			return nil, err
		}
		size, _ := strconv.Atoi(getenv("CACHE_MAX_SIZE"))
		gw, err := gateway.New(gateway.Options{
			Catalog:  cat,
			Provider: prov,
			Cache:    cache.NewMemory(cache.Options{MaxEntries: size, MaxBytes: 1 << 30, TTL: time.Hour}),
			Logger:   log,
		})
		if err != nil {
			return nil, err
		}
		srv := mcpserver.New(mcpserver.Options{Generator: gw, Models: cat.Models, Stats: func(context.Context, mcpserver.Caller) any { return struct{}{} }, Logger: log})
		agent := func(r *http.Request) string { return httpserver.AgentFrom(r.Context()) }
		oa := openaiapi.New(openaiapi.Options{Generator: gw, Models: cat.Models, Agent: agent})
		an := anthropicapi.New(anthropicapi.Options{Generator: gw, Catalog: cat, Models: cat.Models, Agent: agent})
		routes := []httpserver.Route{
			{Pattern: "POST " + openAIPath, Handler: http.HandlerFunc(oa.ChatCompletions), Refuse: openaiapi.Refuse},
			{Pattern: "POST " + anthropicPath, Handler: http.HandlerFunc(an.Messages), Refuse: anthropicapi.Refuse},
		}
		return &Gateway{MCP: srv, Generator: gw, Routes: routes, Close: func() {}}, nil
	}, HTTPHandler: func(srv *mcp.Server, lane *mcpserver.Lane, routes []httpserver.Route, getenv func(string) string, stderr io.Writer) (http.Handler, error) {
		return httpserver.New(httpserver.Options{Server: srv, Lane: lane, Routes: routes, Keys: []httpserver.Key{{Name: "bench", Secret: benchAPIKey}}})
	}}
}

// testHarness is a harness over the test binary with a handful of calls
// per scenario, its simulator stopped at the end of the test.
func testHarness(t *testing.T) *harness {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		opts: Options{
			Executable:  exe,
			ChildArgs:   []string{testChildArg},
			GatewayArgs: []string{testGatewayArg},
			Wiring:      testWiring(),
		},
		sizes: sizes{
			warm: 1, calls: 3, block: 2, hitTotal: 0, missWarm: 0, missPerSession: 1,
			modelLatency: 50 * time.Millisecond, coalesce: 10, fills: []int{memoryWarm + 20}, startups: 1,
			levels: []int{1, 4}, poolCallers: 8,
		},
		exe:     exe,
		dir:     t.TempDir(),
		nonce:   "test",
		started: time.Now(),
		report:  &Report{},
	}
	stop, err := h.startSimulator(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return h
}
