package tracing_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	_ "google.golang.org/grpc/encoding/gzip" // the server takes gzip'd requests
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/llm-gateway/llm-gateway/internal/tracing"
)

// collector is an OTLP trace receiver built on the official collector
// types: over HTTP (its ServeHTTP) or a real grpc-go server (its Export).
// It keeps what each export brought, and can answer the first ones with
// failures. CI's .ci/traces.sh checks the same against a real Jaeger.
type collector struct {
	coltrace.UnimplementedTraceServiceServer

	mu       sync.Mutex
	exports  []received
	attempts int
	fail     []failure                           // answers to the first attempts, in order
	partial  *coltrace.ExportTracePartialSuccess // in every successful answer
}

// received is one export as the collector saw it.
type received struct {
	req      *coltrace.ExportTraceServiceRequest
	headers  map[string]string // lower-case names
	gzip     bool
	urlPath  string // HTTP only
	protocol string
}

// failure is an answer other than success: an HTTP status with its
// Retry-After and body, or a gRPC code with a RetryInfo delay.
type failure struct {
	status     int
	retryAfter string
	body       *spb.Status
	code       codes.Code
	retryDelay *time.Duration
}

// attempt counts an export and says how to fail it, if it should.
func (c *collector) attempt() (failure, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts++
	if len(c.fail) == 0 {
		return failure{}, false
	}
	f := c.fail[0]
	c.fail = c.fail[1:]
	return f, true
}

func (c *collector) keep(r received) *coltrace.ExportTraceServiceResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exports = append(c.exports, r)
	return &coltrace.ExportTraceServiceResponse{PartialSuccess: c.partial}
}

func (c *collector) result() ([]received, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exports, c.attempts
}

// grpcCompression carries the request's grpc-encoding, which grpc-go
// keeps out of the metadata, from the stats handler to Export.
type grpcCompression struct{ name string }
type compressionKey struct{}

func (c *collector) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, compressionKey{}, &grpcCompression{})
}
func (c *collector) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if in, ok := s.(*stats.InHeader); ok {
		ctx.Value(compressionKey{}).(*grpcCompression).name = in.Compression
	}
}
func (c *collector) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (c *collector) HandleConn(context.Context, stats.ConnStats)                       {}

func (c *collector) Export(ctx context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	if f, ok := c.attempt(); ok {
		st := status.New(f.code, "collector says no")
		if f.retryDelay != nil {
			st, _ = st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(*f.retryDelay)})
		}
		return nil, st.Err()
	}
	md, _ := metadata.FromIncomingContext(ctx)
	h := map[string]string{}
	for k, v := range md {
		h[k] = strings.Join(v, ",")
	}
	gz := ctx.Value(compressionKey{}).(*grpcCompression).name == "gzip"
	return c.keep(received{req: req, headers: h, gzip: gz, protocol: tracing.ProtocolGRPC}), nil
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	gz := r.Header.Get("Content-Encoding") == "gzip"
	if gz {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	var req coltrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &req)
	}
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "not an OTLP/HTTP protobuf trace export", http.StatusBadRequest)
		return
	}
	if f, ok := c.attempt(); ok {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		if f.body != nil {
			w.Header().Set("Content-Type", "application/x-protobuf")
			w.WriteHeader(f.status)
			b, _ := proto.Marshal(f.body)
			_, _ = w.Write(b)
			return
		}
		http.Error(w, "collector says no", f.status)
		return
	}
	h := map[string]string{}
	for k, v := range r.Header {
		h[strings.ToLower(k)] = strings.Join(v, ",")
	}
	out := c.keep(received{req: &req, headers: h, gzip: gz, urlPath: r.URL.Path, protocol: tracing.ProtocolHTTP})
	b, _ = proto.Marshal(out)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

// serve starts c for protocol on 127.0.0.1, with TLS when tlsConf is set,
// and returns its endpoint URL.
func (c *collector) serve(t *testing.T, protocol string, tlsConf *tls.Config) string {
	t.Helper()
	scheme := "http://"
	if tlsConf != nil {
		scheme = "https://"
	}
	if protocol == tracing.ProtocolGRPC {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		opts := []grpc.ServerOption{grpc.StatsHandler(c)}
		if tlsConf != nil {
			opts = append(opts, grpc.Creds(credentials.NewTLS(tlsConf)))
		}
		srv := grpc.NewServer(opts...)
		coltrace.RegisterTraceServiceServer(srv, c)
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(srv.Stop)
		return scheme + ln.Addr().String()
	}
	srv := httptest.NewUnstartedServer(c)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
	if tlsConf != nil {
		srv.TLS = tlsConf
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return scheme + srv.Listener.Addr().String()
}

// export starts tracing with env, ends one span with attributes, and
// shuts down, which sends it; it returns the span and Shutdown's error,
// the export's.
func export(t *testing.T, env map[string]string, opts tracing.Options) (trace.Span, error) {
	t.Helper()
	opts.Getenv = func(k string) string { return env[k] }
	tr, err := tracing.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	_, span := tr.Provider.Tracer("test").Start(t.Context(), "chat nova", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("gen_ai.request.model", "nova"),
			attribute.Int("gen_ai.usage.input_tokens", 12),
			attribute.Bool("llm_gateway.cached", true),
			attribute.Float64("llm_gateway.cost_usd", 0.25),
			attribute.StringSlice("gen_ai.response.finish_reasons", []string{"stop"}),
		))
	span.End()
	return span, tr.Shutdown(t.Context())
}

// exportOne is export to c, which must succeed and bring c exactly the
// span, with its attributes, under the resource "otlp-test"; it returns
// the export that did, and how many attempts c saw.
func exportOne(t *testing.T, c *collector, env map[string]string, opts tracing.Options) (received, int) {
	t.Helper()
	opts.ServiceName = "otlp-test"
	span, err := export(t, env, opts)
	if err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	exports, attempts := c.result()
	var got []*tracepb.Span
	var res map[string]any
	for _, e := range exports {
		for _, rs := range e.req.GetResourceSpans() {
			res = otlpAttrs(rs.GetResource().GetAttributes())
			for _, ss := range rs.GetScopeSpans() {
				got = append(got, ss.GetSpans()...)
			}
		}
	}
	if len(got) != 1 || len(exports) != 1 {
		t.Fatalf("received %d spans in %d exports, want 1 in 1", len(got), len(exports))
	}
	s, want := got[0], span.SpanContext()
	traceID, spanID := want.TraceID(), want.SpanID()
	if s.GetName() != "chat nova" || s.GetKind() != tracepb.Span_SPAN_KIND_CLIENT ||
		!bytes.Equal(s.GetTraceId(), traceID[:]) || !bytes.Equal(s.GetSpanId(), spanID[:]) {
		t.Errorf("received span %q kind %v trace %x span %x, want %q client %s %s",
			s.GetName(), s.GetKind(), s.GetTraceId(), s.GetSpanId(), "chat nova", want.TraceID(), want.SpanID())
	}
	wantAttrs := map[string]any{
		"gen_ai.request.model":           "nova",
		"gen_ai.usage.input_tokens":      int64(12),
		"llm_gateway.cached":             true,
		"llm_gateway.cost_usd":           0.25,
		"gen_ai.response.finish_reasons": []any{"stop"},
	}
	if d := cmp.Diff(wantAttrs, otlpAttrs(s.GetAttributes())); d != "" {
		t.Errorf("span attributes (-want +got):\n%s", d)
	}
	if res["service.name"] != "otlp-test" {
		t.Errorf("resource service.name = %v, want %q", res["service.name"], "otlp-test")
	}
	return exports[0], attempts
}

// otlpAttrs are OTLP attributes as Go values.
func otlpAttrs(kvs []*commonpb.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		m[kv.GetKey()] = value(kv.GetValue())
	}
	return m
}

func value(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_ArrayValue:
		var a []any
		for _, e := range x.ArrayValue.GetValues() {
			a = append(a, value(e))
		}
		return a
	}
	return v.String()
}

var protocols = []string{tracing.ProtocolHTTP, tracing.ProtocolGRPC}

// TestExportProtocols sends a span over each protocol the environment can
// ask for, to a receiver of that protocol only, with the standard
// variables: the span, its attributes and resource arrive; so do the
// headers asked for, URL-decoded, and gzip when asked for.
func TestExportProtocols(t *testing.T) {
	for _, proto := range []string{"", tracing.ProtocolHTTP, tracing.ProtocolGRPC} {
		for _, compression := range []string{"", "gzip"} {
			t.Run("protocol="+proto+",compression="+compression, func(t *testing.T) {
				t.Parallel()
				c := &collector{}
				serveAs := proto
				if serveAs == "" {
					serveAs = tracing.ProtocolHTTP
				}
				env := map[string]string{
					"OTEL_EXPORTER_OTLP_ENDPOINT":    c.serve(t, serveAs, nil),
					"OTEL_EXPORTER_OTLP_PROTOCOL":    proto,
					"OTEL_EXPORTER_OTLP_COMPRESSION": compression,
					"OTEL_EXPORTER_OTLP_HEADERS":     "api-key=s3cret%20value, X-Tenant = blue",
				}
				e, _ := exportOne(t, c, env, tracing.Options{})
				if e.protocol != serveAs {
					t.Errorf("arrived over %s, want %s", e.protocol, serveAs)
				}
				if e.headers["api-key"] != "s3cret value" || e.headers["x-tenant"] != "blue" {
					t.Errorf("headers api-key=%q x-tenant=%q, want %q and %q", e.headers["api-key"], e.headers["x-tenant"], "s3cret value", "blue")
				}
				if !strings.HasPrefix(e.headers["user-agent"], "OTel OTLP Exporter Go/") {
					t.Errorf("user-agent %q, want the official exporters'", e.headers["user-agent"])
				}
				if e.gzip != (compression == "gzip") {
					t.Errorf("gzip = %v, want %v", e.gzip, compression == "gzip")
				}
				if serveAs == tracing.ProtocolHTTP && e.urlPath != "/v1/traces" {
					t.Errorf("posted to %q, want /v1/traces", e.urlPath)
				}
			})
		}
	}
}

// TestExportSignalEndpoint: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as
// it is, and wins over the generic endpoint; so do the other TRACES_
// variables.
func TestExportSignalEndpoint(t *testing.T) {
	t.Parallel()
	c := &collector{}
	env := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":        "http://127.0.0.1:1",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": c.serve(t, tracing.ProtocolHTTP, nil) + "/custom/traces",
		"OTEL_EXPORTER_OTLP_HEADERS":         "a=generic",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS":  "b=traces",
	}
	if e, _ := exportOne(t, c, env, tracing.Options{}); e.urlPath != "/custom/traces" || e.headers["a"] != "" || e.headers["b"] != "traces" {
		t.Errorf("posted to %q with a=%q b=%q, want /custom/traces with only b=traces", e.urlPath, e.headers["a"], e.headers["b"])
	}
}

// TestExportTLS sends over each protocol to a collector whose certificate
// a test CA signed, given by OTEL_EXPORTER_OTLP_CERTIFICATE, and which
// asks for a client certificate from the same CA (mutual TLS).
func TestExportTLS(t *testing.T) {
	ca := tracing.NewTestCA(t)
	dir := ca.ClientFiles(t)
	caFile, certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	serverCert, serverKey := ca.Issue(t, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	server, err := tls.X509KeyPair(serverCert, serverKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, proto := range protocols {
		for _, withClientCert := range []bool{true, false} {
			name := "protocol=" + proto + ",client-cert=" + map[bool]string{true: "yes", false: "no"}[withClientCert]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c := &collector{}
				conf := &tls.Config{Certificates: []tls.Certificate{server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool}
				env := map[string]string{
					"OTEL_EXPORTER_OTLP_ENDPOINT":    c.serve(t, proto, conf),
					"OTEL_EXPORTER_OTLP_PROTOCOL":    proto,
					"OTEL_EXPORTER_OTLP_CERTIFICATE": caFile,
				}
				if withClientCert {
					env["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"], env["OTEL_EXPORTER_OTLP_CLIENT_KEY"] = certFile, keyFile
					exportOne(t, c, env, tracing.Options{})
					return
				}
				// The collector refuses the handshake: nothing arrives. A
				// failed gRPC connection is retried after a backoff (at
				// least 2.5 s) that this timeout is shorter than.
				env["OTEL_EXPORTER_OTLP_TIMEOUT"] = "500"
				_, err := export(t, env, tracing.Options{})
				if exports, _ := c.result(); err == nil || len(exports) != 0 {
					t.Errorf("without a client certificate: Shutdown = %v, %d exports; want an error and none", err, len(exports))
				}
			})
		}
	}
}

// TestExportRetries: a collector that asks to be retried is, and the
// span arrives once; the server's delay (Retry-After, RetryInfo) is
// honoured, else the exporter backs off.
func TestExportRetries(t *testing.T) {
	zero := time.Duration(0)
	for _, tc := range []struct {
		name, proto string
		fail        []failure
	}{
		{"http 503 Retry-After 0", tracing.ProtocolHTTP, []failure{{status: 503, retryAfter: "0"}}},
		{"http 429 then 502 with Retry-After, then 504 backed off", tracing.ProtocolHTTP, []failure{{status: 429, retryAfter: "0"}, {status: 502, retryAfter: "0"}, {status: 504}}},
		{"grpc UNAVAILABLE with RetryInfo 0", tracing.ProtocolGRPC, []failure{{code: codes.Unavailable, retryDelay: &zero}}},
		{"grpc UNAVAILABLE backed off", tracing.ProtocolGRPC, []failure{{code: codes.Unavailable}}},
		{"grpc RESOURCE_EXHAUSTED with RetryInfo", tracing.ProtocolGRPC, []failure{{code: codes.ResourceExhausted, retryDelay: &zero}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &collector{fail: tc.fail}
			env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": c.serve(t, tc.proto, nil), "OTEL_EXPORTER_OTLP_PROTOCOL": tc.proto}
			var opts tracing.Options
			tracing.SetRetryBackoff(&opts, time.Millisecond)
			if _, attempts := exportOne(t, c, env, opts); attempts != len(tc.fail)+1 {
				t.Errorf("%d attempts, want %d", attempts, len(tc.fail)+1)
			}
		})
	}
}

// TestExportGivesUp: what is not retryable fails at once with what the
// collector said, and so does a retry the collector asks for past the
// export timeout.
func TestExportGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name, proto string
		fail        failure
		wantErr     string
	}{
		{"http 400 with a Status", tracing.ProtocolHTTP, failure{status: 400, body: &spb.Status{Code: 3, Message: "span 7 has no name"}}, "400 Bad Request: span 7 has no name"},
		{"http 401", tracing.ProtocolHTTP, failure{status: 401}, `401 Unauthorized: "collector says no"`},
		{"http 503 Retry-After past the timeout", tracing.ProtocolHTTP, failure{status: 503, retryAfter: "3600"}, "past the export timeout"},
		{"grpc INVALID_ARGUMENT", tracing.ProtocolGRPC, failure{code: codes.InvalidArgument}, "gRPC status INVALID_ARGUMENT: collector says no"},
		{"grpc RESOURCE_EXHAUSTED without RetryInfo", tracing.ProtocolGRPC, failure{code: codes.ResourceExhausted}, "RESOURCE_EXHAUSTED"},
		{"grpc UNAVAILABLE RetryInfo past the timeout", tracing.ProtocolGRPC, failure{code: codes.Unavailable, retryDelay: new(time.Hour)}, "past the export timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &collector{fail: []failure{tc.fail, tc.fail}}
			env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": c.serve(t, tc.proto, nil), "OTEL_EXPORTER_OTLP_PROTOCOL": tc.proto}
			_, err := export(t, env, tracing.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Shutdown = %v, want an error with %q", err, tc.wantErr)
			}
			if exports, attempts := c.result(); attempts != 1 || len(exports) != 0 {
				t.Errorf("%d attempts, %d exports; want 1 and 0", attempts, len(exports))
			}
		})
	}
}

// TestExportPartialSuccess: spans the collector rejects are logged, not
// an error.
func TestExportPartialSuccess(t *testing.T) {
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			c := &collector{partial: &coltrace.ExportTracePartialSuccess{RejectedSpans: 1, ErrorMessage: "span too old"}}
			var log bytes.Buffer // written by the export, which Shutdown waits for
			env := map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": c.serve(t, proto, nil),
				"OTEL_EXPORTER_OTLP_PROTOCOL": proto,
				"OTEL_EXPORTER_OTLP_HEADERS":  "api-key=s3cret",
			}
			if _, err := export(t, env, tracing.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))}); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			out := log.String()
			if !strings.Contains(out, "rejected_spans=1") || !strings.Contains(out, "span too old") {
				t.Errorf("log %q, want the rejected spans and the collector's message", out)
			}
			if strings.Contains(out, "s3cret") {
				t.Errorf("log %q has a header value", out)
			}
		})
	}
}
