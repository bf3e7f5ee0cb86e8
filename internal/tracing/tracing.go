// Package tracing exports OpenTelemetry traces of the gateway's work: one
// span per MCP tool call, and a child span per Bedrock attempt, named and
// attributed per the OpenTelemetry GenAI and MCP semantic conventions, plus
// the gateway's own figures (cached, coalesced, cost, agent).
//
// Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. The sampler, resource
// attributes, service name and batch sizes are the OpenTelemetry SDK's own
// reading of the standard OTEL_* variables; the exporter's (endpoint,
// headers, compression, timeout, certificates) are read here as the
// official Go OTLP exporters read them, so they work as they do for every
// OpenTelemetry SDK. Spans leave over OTLP/HTTP with protobuf, the
// protocol the specification makes the default, or over OTLP/gRPC when
// OTEL_EXPORTER_OTLP_PROTOCOL (or OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) is
// grpc, both sent by a small client on net/http (otlp.go): the SDK's
// span-to-OTLP transform is kept, and grpc-go is not linked. Prompt and
// answer text is never put on a span unless LOG_PROMPTS asks for it.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// InstrumentationName names the tracer of the gateway's spans.
const InstrumentationName = "github.com/llm-gateway/llm-gateway"

// Enabled reports whether the environment asks for traces: an OTLP
// endpoint is set, and neither OTEL_SDK_DISABLED nor
// OTEL_TRACES_EXPORTER=none turns them off.
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")), "none") {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// The OTLP protocols spans can leave over.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Protocol is the OTLP protocol the environment asks for:
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL,
// else http/protobuf (the specification's default). http/json, which the
// gateway does not send, and unknown values are an error saying what to set.
func Protocol(getenv func(string) string) (string, error) {
	name, proto := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
	if proto == "" {
		name, proto = "OTEL_EXPORTER_OTLP_PROTOCOL", strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
	}
	switch proto {
	case "", ProtocolHTTP:
		return ProtocolHTTP, nil
	case ProtocolGRPC:
		return ProtocolGRPC, nil
	}
	return "", fmt.Errorf("%s=%s: traces go out over grpc (the collector's port 4317) or http/protobuf (port 4318); set one of those, or unset it for http/protobuf", name, proto)
}

// Options configure Start.
type Options struct {
	// Getenv reads the environment for Enabled, the protocol and the
	// exporter's settings; the SDK reads the process environment itself
	// for the rest. If nil, nothing is set.
	Getenv func(string) string
	// ServiceName is service.name unless OTEL_SERVICE_NAME or
	// OTEL_RESOURCE_ATTRIBUTES sets it. If empty, "llm-gateway".
	ServiceName string
	Version     string
	// Logger takes the exporter's warnings (a malformed setting skipped,
	// spans a collector rejected). If nil, they are discarded.
	Logger *slog.Logger

	// retryBackoff is the exporter's first wait between attempts; tests
	// shorten it. If zero, 5 s.
	retryBackoff time.Duration
}

// Tracing is the tracer provider the gateway's spans go to, or a no-op
// one when tracing is off.
type Tracing struct {
	Provider trace.TracerProvider
	tracer   trace.Tracer
	sdk      *sdktrace.TracerProvider // nil when off
}

// Propagator reads and writes W3C trace context (traceparent, tracestate)
// and baggage.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Off is tracing that records nothing.
func Off() *Tracing {
	p := noop.NewTracerProvider()
	return &Tracing{Provider: p, tracer: p.Tracer(InstrumentationName)}
}

// Start sets up tracing from the environment: Off when Enabled is false.
// Nothing is sent before the first span; an unreachable collector costs
// dropped spans and a log line, never a failed call.
func Start(ctx context.Context, opts Options) (*Tracing, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if !Enabled(getenv) {
		return Off(), nil
	}
	proto, err := Protocol(getenv)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	settings, err := readOTLPEnv(getenv, os.ReadFile, proto, log)
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter (%s): %w", proto, err)
	}
	exp, err := otlptrace.New(ctx, newOTLPClient(settings, opts.retryBackoff, log))
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter (%s): %w", proto, err)
	}
	name := opts.ServiceName
	if name == "" {
		name = "llm-gateway"
	}
	// The environment's resource attributes win over these defaults.
	res, err := resource.Merge(
		resource.NewSchemaless(attribute.String("service.name", name), attribute.String("service.version", opts.Version)),
		resource.Environment(),
	)
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	if opts.Logger != nil {
		opts.Logger.Info("exporting traces over OTLP", "protocol", proto, "endpoint", settings.url, "service", name)
	}
	return &Tracing{Provider: sdk, tracer: sdk.Tracer(InstrumentationName), sdk: sdk}, nil
}

// NewWithProvider is tracing into a given provider (tests use the SDK's
// in-memory recorder).
func NewWithProvider(p *sdktrace.TracerProvider) *Tracing {
	return &Tracing{Provider: p, tracer: p.Tracer(InstrumentationName), sdk: p}
}

// On reports whether spans are exported: when off, WrapProvider returns
// the provider as it is and nothing needs adding.
func (t *Tracing) On() bool { return t.sdk != nil }

// Shutdown sends the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	return errors.Join(t.sdk.ForceFlush(ctx), t.sdk.Shutdown(ctx))
}
