package tracing_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/llm-gateway/llm-gateway/internal/tracing"
)

// receiver takes OTLP trace exports, over gRPC or HTTP, and hands each
// request's span names to got. The wire formats are OTLP's own; CI's
// .ci/traces.sh checks the same against a real Jaeger.
type receiver struct {
	coltrace.UnimplementedTraceServiceServer
	got chan []string
}

func (r *receiver) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	var names []string
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				names = append(names, s.GetName())
			}
		}
	}
	r.got <- names
	return &coltrace.ExportTraceServiceResponse{}, nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var in coltrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &in)
	}
	if req.URL.Path != "/v1/traces" || err != nil {
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	out, _ := r.Export(req.Context(), &in)
	b, _ := proto.Marshal(out)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

// TestExportProtocols sends a span over each protocol the environment can
// ask for, to a receiver of that protocol only.
func TestExportProtocols(t *testing.T) {
	for _, proto := range []string{"", tracing.ProtocolHTTP, tracing.ProtocolGRPC} {
		t.Run("protocol="+proto, func(t *testing.T) {
			rec := &receiver{got: make(chan []string, 10)}
			var endpoint string
			if proto == tracing.ProtocolGRPC {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				srv := grpc.NewServer()
				coltrace.RegisterTraceServiceServer(srv, rec)
				go func() { _ = srv.Serve(ln) }()
				t.Cleanup(srv.Stop)
				endpoint = "http://" + ln.Addr().String()
			} else {
				srv := httptest.NewServer(rec)
				t.Cleanup(srv.Close)
				endpoint = srv.URL
			}
			// The SDK reads the process environment itself.
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", proto)
			env := func(k string) string {
				return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": proto}[k]
			}
			tr, err := tracing.Start(t.Context(), tracing.Options{Getenv: env})
			if err != nil {
				t.Fatal(err)
			}
			_, span := tr.Provider.Tracer("test").Start(t.Context(), "over "+proto)
			span.End()
			// Shutdown sends what is buffered and returns the export's error.
			if err := tr.Shutdown(t.Context()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			select {
			case names := <-rec.got:
				if len(names) != 1 || names[0] != "over "+proto {
					t.Errorf("received spans %q, want [%q]", names, "over "+proto)
				}
			default:
				t.Errorf("no export reached the %s receiver", proto)
			}
		})
	}
}
