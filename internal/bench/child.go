package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpserver"
	"github.com/llm-gateway/llm-gateway/internal/mcpserver"
	"github.com/llm-gateway/llm-gateway/internal/stdio"
)

// Gateway is a gateway wired as the serve command wires it.
type Gateway struct {
	MCP *mcp.Server
	// Lane answers generate beside the SDK (mcpserver.Lane); nil if the
	// wiring has none. Given to HTTPHandler.
	Lane      *mcpserver.Lane
	Generator mcpserver.Generator
	// Routes are the HTTP APIs served beside MCP (OpenAI's and
	// Anthropic's), given to HTTPHandler.
	Routes []httpserver.Route
	// Close releases what the wiring started; nil means nothing to release.
	Close func()
}

// Wiring is how the harness reaches the gateway without importing the
// command that wires it.
type Wiring struct {
	// Gateway wires a gateway from settings read with getenv (the serve
	// command's environment variables: AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
	// CACHE_MAX_SIZE, …), exactly as the serve command does, logging to
	// stderr as it would. Required.
	Gateway func(ctx context.Context, getenv func(string) string, stderr io.Writer) (*Gateway, error)
	// HTTPHandler serves an MCP server over Streamable HTTP the way the
	// gateway's HTTP transport does (routes, API keys, limits), from the
	// same settings as Gateway. If nil, the SDK's handler alone.
	// lane is srv's lane and routes are the gateway's other HTTP APIs (nil
	// and none for the no-op server).
	HTTPHandler func(srv *mcp.Server, lane *mcpserver.Lane, routes []httpserver.Route, getenv func(string) string, stderr io.Writer) (http.Handler, error)
	// HTTPPath is where HTTPHandler answers MCP. If empty, "/mcp".
	HTTPPath string
	// StdioTransport is the gateway's stdio transport on stdin and stdout,
	// made from the same settings as Gateway, as the serve command makes
	// it. If nil, the SDK's IOTransport.
	StdioTransport func(stdin io.Reader, stdout io.Writer, getenv func(string) string, stderr io.Writer) (mcp.Transport, error)
	// Admissions gives the governance backends to measure, each under a
	// policy that limits every call (rate, concurrency, tokens, a budget)
	// generously enough that none is refused; files go in dir. closeAll
	// releases them. If nil, admission is not measured.
	Admissions func(ctx context.Context, dir string) (backends []AdmissionBackend, closeAll func(), err error)
}

// handler is the gateway's HTTP stack for srv.
func (w Wiring) handler(srv *mcp.Server, lane *mcpserver.Lane, routes []httpserver.Route) (http.Handler, error) {
	if w.HTTPHandler != nil {
		return w.HTTPHandler(srv, lane, routes, os.Getenv, os.Stderr)
	}
	return sdkHandler(srv), nil
}

// sdkHandler is the SDK's Streamable HTTP handler with its defaults: the
// protocol floor over HTTP.
func sdkHandler(srv *mcp.Server) http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
}

func (w Wiring) path() string {
	if w.HTTPPath == "" {
		return "/mcp"
	}
	return w.HTTPPath
}

// What a child process serves.
const (
	modePipeEcho     = "pipe-echo"     // echoes stdin lines to stdout: the raw pipe round trip
	modeHTTPEcho     = "http-echo"     // echoes POST bodies: the raw loopback HTTP round trip
	modeNoopStdio    = "noop-stdio"    // a no-op MCP tool over stdio: the protocol floor
	modeNoopHTTP     = "noop-http"     // a no-op MCP tool on the SDK's Streamable HTTP handler alone
	modeNoopStack    = "noop-stack"    // a no-op MCP tool behind the gateway's HTTP stack
	modeGatewayStdio = "gateway-stdio" // the gateway over stdio
	modeGatewayHTTP  = "gateway-http"  // the gateway over Streamable HTTP
	modePeerProxy    = "peer-proxy"    // a minimal reverse proxy to the simulator: one more hop
	modeSim          = "sim"           // the Bedrock simulator, in a process of its own as Bedrock is

	// The no-op tool on the gateway's stdio transport, and the gateway on
	// the SDK's: the transport's share of a call, either way.
	modeNoopGatewayStdio = "noop-stdio-gateway"
	modeGatewaySDKStdio  = "gateway-stdio-sdk"
)

// Control pipe descriptors in a child: the harness writes commands to ctlIn
// and reads one JSON reply line per command from ctlOut.
const (
	ctlInFD  = 3
	ctlOutFD = 4
)

// ctlReply is a child's answer on its control pipe.
type ctlReply struct {
	Addr   string     `json:"addr,omitempty"`   // first reply: where an HTTP child listens
	Usage  *Usage     `json:"usage,omitempty"`  // stats, gc
	Errors int        `json:"errors,omitempty"` // fill
	Sim    *simCounts `json:"sim,omitempty"`    // sim
	Error  string     `json:"error,omitempty"`
}

// RunChild is the child side of the harness: args[0] names what to serve
// (see the mode constants), on stdin and stdout or on 127.0.0.1:0, while
// answering the harness's commands on descriptors 3 and 4. It returns when
// stdin ends (stdio modes) or the control pipe closes (HTTP modes). It is
// meant to be called only by a process the harness started.
func RunChild(ctx context.Context, args []string, w Wiring, stdin io.Reader, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("bench child: want one mode argument")
	}
	mode := args[0]
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctl := &childControl{in: os.NewFile(ctlInFD, "bench-ctl-in"), out: os.NewFile(ctlOutFD, "bench-ctl-out")}
	if ctl.in == nil || ctl.out == nil {
		return errors.New("bench child: no control pipe (descriptors 3 and 4)")
	}

	var srv *mcp.Server
	var lane *mcpserver.Lane
	var routes []httpserver.Route
	switch mode {
	case modeNoopStdio, modeNoopHTTP, modeNoopStack, modeNoopGatewayStdio:
		srv = noopServer()
	case modeGatewayStdio, modeGatewayHTTP, modeGatewaySDKStdio:
		if w.Gateway == nil {
			return errors.New("bench child: no gateway wiring")
		}
		gw, err := w.Gateway(ctx, os.Getenv, os.Stderr)
		if err != nil {
			return fmt.Errorf("bench child: %w", err)
		}
		if gw.Close != nil {
			defer gw.Close()
		}
		srv, lane, ctl.gen, routes = gw.MCP, gw.Lane, gw.Generator, gw.Routes
	case modePipeEcho, modeHTTPEcho, modePeerProxy, modeSim:
	default:
		return fmt.Errorf("bench child: unknown mode %q", mode)
	}

	switch mode {
	case modePipeEcho, modeNoopStdio, modeGatewayStdio, modeNoopGatewayStdio, modeGatewaySDKStdio:
		if err := ctl.reply(ctlReply{}); err != nil {
			return err
		}
		go ctl.serve(ctx)
		if mode == modePipeEcho {
			return echoLines(stdin, stdout)
		}
		var t mcp.Transport = &mcp.IOTransport{Reader: io.NopCloser(stdin), Writer: nopWriteCloser{stdout}}
		if (mode == modeGatewayStdio || mode == modeNoopGatewayStdio) && w.StdioTransport != nil {
			var err error
			if t, err = w.StdioTransport(stdin, stdout, os.Getenv, os.Stderr); err != nil {
				return fmt.Errorf("bench child: stdio transport: %w", err)
			}
		}
		err := serveStdio(ctx, srv, lane, t)
		if err == nil || errors.Is(err, io.EOF) || ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("bench child: serve stdio: %w", err)
	case modeHTTPEcho:
		return serveHTTP(ctx, http.HandlerFunc(echoBody), ctl)
	case modeSim:
		ctl.sim = newSimChild()
		return serveHTTP(ctx, ctl.sim, ctl)
	case modePeerProxy:
		proxy, err := reverseProxy(os.Getenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME"))
		if err != nil {
			return fmt.Errorf("bench child: %w", err)
		}
		return serveHTTP(ctx, proxy, ctl)
	case modeNoopHTTP:
		return serveHTTP(ctx, sdkHandler(srv), ctl)
	default:
		h, err := w.handler(srv, lane, routes)
		if err != nil {
			return fmt.Errorf("bench child: http handler: %w", err)
		}
		return serveHTTP(ctx, h, ctl)
	}
}

// serveStdio serves srv on t until the session ends, with the lane on the
// gateway's stdio transport, as `serve` runs it.
func serveStdio(ctx context.Context, srv *mcp.Server, lane *mcpserver.Lane, t mcp.Transport) error {
	ss, err := srv.Connect(ctx, t, nil)
	if err != nil {
		return err
	}
	if st, ok := t.(*stdio.Transport); ok && lane != nil {
		st.SetLane(lane.For(ss))
	}
	ended := make(chan error, 1)
	go func() { ended <- ss.Wait() }()
	select {
	case err = <-ended:
		return err
	case <-ctx.Done(): // as mcp.Server.Run does
		_ = ss.Close()
		return <-ended
	}
}

// serveHTTP serves h on a free loopback port until the control pipe closes.
func serveHTTP(ctx context.Context, h http.Handler, ctl *childControl) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("bench child: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if ctl.sim != nil {
		hs.ConnState = ctl.sim.connState
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if err := ctl.reply(ctlReply{Addr: ln.Addr().String()}); err != nil {
		hs.Close()
		return err
	}
	ctl.serve(ctx)
	// No graceful shutdown: the harness has had every answer it waits for,
	// and Shutdown would wait 5s for connections its client dialled but
	// never used.
	hs.Close()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("bench child: serve http: %w", err)
	}
	return nil
}

// noopServer has one tool that does nothing: the floor of an MCP call on
// this SDK. The tool is registered the way mcpserver registers its own
// (a ready schema, no per-call reflection).
func noopServer() *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "noop", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "noop", Description: "Does nothing.", InputSchema: &jsonschema.Schema{Type: "object"}},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{}}, nil
		})
	return srv
}

// echoLines copies newline-framed messages from r to w, one write each.
func echoLines(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if _, werr := w.Write(line); werr != nil {
				return fmt.Errorf("bench child: echo: %w", werr)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("bench child: echo: %w", err)
		}
	}
}

func echoBody(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// childControl answers the harness's commands in a child.
type childControl struct {
	in, out *os.File
	gen     mcpserver.Generator // nil unless the child serves the gateway
	sim     *simChild           // nil unless the child is the simulator
	mu      sync.Mutex          // one reply line at a time
}

func (c *childControl) reply(r ctlReply) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("bench child: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.out.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("bench child: control reply: %w", err)
	}
	return nil
}

// serve answers commands until the control pipe closes:
//
//	stats                 this process's Usage
//	gc                    collect garbage, return memory to the OS, then stats
//	fill N SIZE MODEL     cache N answers of SIZE bytes through the gateway
//	pprof-start PATH      start a CPU profile into PATH
//	pprof-stop            stop it
//	sim                   the simulator's calls and accepted connections
//	sim-port80            serve the simulator on 127.0.0.1:80 too (Portkey)
func (c *childControl) serve(ctx context.Context) {
	sc := bufio.NewScanner(c.in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var r ctlReply
		switch f[0] {
		case "stats":
			u := selfUsage()
			r.Usage = &u
		case "gc":
			runtime.GC()
			debug.FreeOSMemory()
			u := selfUsage()
			r.Usage = &u
		case "fill":
			r = c.fill(ctx, f[1:])
		case "pprof-start":
			if len(f) != 2 {
				r.Error = "pprof-start PATH"
			} else if err := startProfile(f[1]); err != nil {
				r.Error = err.Error()
			}
		case "pprof-stop":
			pprof.StopCPUProfile()
		case "sim":
			if c.sim == nil {
				r.Error = "not a simulator"
			} else {
				r.Sim = c.sim.counts()
			}
		case "sim-port80":
			if c.sim == nil {
				r.Error = "not a simulator"
			} else if err := c.sim.listen80(ctx); err != nil {
				r.Error = err.Error()
			}
		default:
			r.Error = fmt.Sprintf("unknown command %q", f[0])
		}
		if err := c.reply(r); err != nil {
			return
		}
	}
}

func startProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	return nil
}

// fillWorkers is how many requests a fill keeps in flight: enough to keep
// both the child and the simulator busy on a small machine.
const fillWorkers = 8

// fill caches n answers of size bytes each by asking the gateway n distinct
// questions whose simulated answer is exactly size bytes: the real path
// (provider, SDK, cache) builds every cached entry.
func (c *childControl) fill(ctx context.Context, args []string) ctlReply {
	if c.gen == nil {
		return ctlReply{Error: "fill: this child serves no gateway"}
	}
	if len(args) != 3 {
		return ctlReply{Error: "fill N SIZE MODEL"}
	}
	n, err1 := strconv.Atoi(args[0])
	size, err2 := strconv.Atoi(args[1])
	if err := errors.Join(err1, err2); err != nil || n < 0 || size < 2 {
		return ctlReply{Error: fmt.Sprintf("fill %s: bad numbers", strings.Join(args, " "))}
	}
	model := args[2]
	answer := fillText(size)
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36)
	var (
		next     atomic.Int64
		errs     atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	for range fillWorkers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				req := &gateway.Request{
					Model:     model,
					Messages:  []gateway.Message{{Role: gateway.RoleUser, Content: fmt.Sprintf("[sim:reply=%s] fill %s %d", answer, nonce, i)}},
					MaxTokens: size, // never truncates: a token is 4 characters
				}
				resp, err := c.gen.Generate(ctx, req)
				if err == nil && len(resp.Content) != size {
					err = fmt.Errorf("answer of %d bytes, want %d", len(resp.Content), size)
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	r := ctlReply{Errors: int(errs.Load())}
	if s, ok := firstErr.Load().(string); ok {
		r.Error = "fill: " + s
	}
	return r
}

// fillText is size bytes of words, without the ']' that would end a marker.
func fillText(size int) string {
	const words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
	var b strings.Builder
	for b.Len() < size {
		b.WriteString(words)
	}
	s := b.String()[:size]
	// No trailing or leading space: the simulator may trim the value.
	return "x" + s[1:size-1] + "x"
}
