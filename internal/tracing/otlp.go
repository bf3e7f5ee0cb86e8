package tracing

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// otlpClient sends the spans the OpenTelemetry SDK has turned into OTLP
// protobuf (otlptrace.Exporter's own transform) to a collector, over
// OTLP/HTTP or OTLP/gRPC, both on net/http. The official clients would
// link grpc-go and its ~130 packages into every binary for a feature that
// is off by default; this one is the transport only.
type otlpClient struct {
	s    otlpSettings
	http *http.Client
	log  *slog.Logger
	// backoff is the first wait before another attempt when the server
	// names none; it grows 1.5× an attempt, to maxOTLPBackoff.
	backoff time.Duration
	gz      sync.Pool // *gzip.Writer
	stop    context.Context
	cancel  context.CancelFunc
}

var _ otlptrace.Client = (*otlpClient)(nil)

// The official exporters' retry policy: a first wait of 5 s, growing 1.5×
// to 30 s, ±50% jitter, at most a minute in all (the export timeout, 10 s
// unless set, usually ends it first).
const (
	defaultOTLPBackoff = 5 * time.Second
	maxOTLPBackoff     = 30 * time.Second
	maxOTLPRetrying    = time.Minute
	// maxOTLPResponse bounds the response body read.
	maxOTLPResponse = 4 << 20
)

var userAgent = "OTel OTLP Exporter Go/" + otlptrace.Version()

func newOTLPClient(s otlpSettings, backoff time.Duration, log *slog.Logger) *otlpClient {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       s.tls,
	}
	if s.protocol == ProtocolGRPC {
		// gRPC is HTTP/2 only: h2 over TLS, or h2c with prior knowledge
		// for plain http (which an HTTP proxy would not carry).
		var p http.Protocols
		if s.tls == nil && len(s.url) > 5 && s.url[:5] == "http:" {
			p.SetUnencryptedHTTP2(true)
			tr.Proxy = nil
		} else {
			p.SetHTTP2(true)
		}
		tr.Protocols = &p
	}
	if backoff <= 0 {
		backoff = defaultOTLPBackoff
	}
	stop, cancel := context.WithCancel(context.Background())
	return &otlpClient{s: s, http: &http.Client{Transport: tr}, log: log, backoff: backoff, stop: stop, cancel: cancel}
}

// Start does nothing: the first export opens the connection.
func (c *otlpClient) Start(context.Context) error { return nil }

// Stop ends the exports in flight and closes idle connections.
func (c *otlpClient) Stop(ctx context.Context) error {
	c.cancel()
	c.http.CloseIdleConnections()
	return ctx.Err()
}

// UploadTraces sends one ExportTraceServiceRequest, retrying what the
// OTLP specification calls retryable within the export timeout. A partial
// success (the collector rejected some spans) is logged, not an error.
func (c *otlpClient) UploadTraces(ctx context.Context, spans []*tracepb.ResourceSpans) error {
	grpc := c.s.protocol == ProtocolGRPC
	head := 0
	if grpc {
		head = 5 // the gRPC message prefix: compressed flag, length
	}
	msg, err := appendExportRequest(make([]byte, head, 4096), spans)
	if err != nil {
		return fmt.Errorf("encode OTLP export: %w", err)
	}
	body := msg
	if c.s.gzip {
		if body, err = c.compress(make([]byte, head, len(msg)/4+64), msg[head:]); err != nil {
			return fmt.Errorf("gzip OTLP export: %w", err)
		}
	}
	if grpc {
		if c.s.gzip {
			body[0] = 1
		}
		n := len(body) - head
		body[1], body[2], body[3], body[4] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n) //nolint:gosec // the gRPC length prefix: its low 32 bits, big-endian, by definition
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.stop, cancel)()
	if c.s.timeout > 0 {
		var cancelT context.CancelFunc
		ctx, cancelT = context.WithTimeoutCause(ctx, c.s.timeout, errors.New("OTLP export timeout"))
		defer cancelT()
	}
	send := c.postHTTP
	if grpc {
		send = c.postGRPC
	}
	if err := c.retry(ctx, func(ctx context.Context) error { return send(ctx, body) }); err != nil {
		return fmt.Errorf("%s to %s: %w", c.s.protocol, c.s.url, err)
	}
	return nil
}

// appendExportRequest appends an ExportTraceServiceRequest: its field 1,
// resource_spans, once per ResourceSpans.
func appendExportRequest(b []byte, spans []*tracepb.ResourceSpans) ([]byte, error) {
	for _, rs := range spans {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(proto.Size(rs))) //nolint:gosec // a size, never negative
		var err error
		if b, err = (proto.MarshalOptions{UseCachedSize: true}).MarshalAppend(b, rs); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (c *otlpClient) compress(dst, src []byte) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	zw, _ := c.gz.Get().(*gzip.Writer)
	if zw == nil {
		zw = gzip.NewWriter(buf)
	} else {
		zw.Reset(buf)
	}
	defer c.gz.Put(zw)
	if _, err := zw.Write(src); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// retryable is a failed attempt worth repeating; after is the wait the
// server asked for, when named says it asked.
type retryable struct {
	err   error
	after time.Duration
	named bool
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// retry makes attempts until one succeeds, fails for good, or the next
// wait would end past ctx's deadline. The wait is the server's when it
// names one (Retry-After, gRPC RetryInfo), else an exponential backoff
// with jitter.
func (c *otlpClient) retry(ctx context.Context, attempt func(context.Context) error) error {
	start, backoff := time.Now(), c.backoff
	for n := 1; ; n++ {
		err := attempt(ctx)
		var r *retryable
		if err == nil || !errors.As(err, &r) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("attempt %d: %w (%w)", n, err, context.Cause(ctx))
		}
		wait := r.after
		if !r.named {
			wait = time.Duration(float64(backoff) * (0.5 + rand.Float64())) //nolint:gosec // retry jitter, not a secret
			backoff = min(backoff*3/2, maxOTLPBackoff)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("attempt %d: %w (the next, in %v, would be past the export timeout)", n, err, wait.Round(time.Millisecond))
		}
		if time.Since(start)+wait > maxOTLPRetrying {
			return fmt.Errorf("attempt %d: %w (retried for %v)", n, err, maxOTLPRetrying)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("attempt %d: %w (%w)", n, err, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// newRequest is a POST of body with the user's headers, under ours.
func (c *otlpClient) newRequest(ctx context.Context, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.s.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	for _, h := range c.s.headers {
		req.Header.Set(h.name, h.value)
	}
	return req, nil
}

// postHTTP is one OTLP/HTTP attempt. 429, 502, 503 and 504 are retryable,
// after the Retry-After the server sends; so are a timeout and a reset
// connection.
func (c *otlpClient) postHTTP(ctx context.Context, body []byte) error {
	req, err := c.newRequest(ctx, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if c.s.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.ECONNRESET) {
			return &retryable{err: err}
		}
		return err
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxOTLPResponse))
	if resp.StatusCode/100 == 2 {
		if readErr == nil && resp.Header.Get("Content-Type") == "application/x-protobuf" {
			c.partialSuccess(data)
		}
		return nil
	}
	err = fmt.Errorf("%s: %s", resp.Status, httpErrorBody(resp.Header.Get("Content-Type"), data))
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		after, named := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		return &retryable{err: err, after: after, named: named}
	}
	return err
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		return time.Duration(min(s, int64(maxOTLPRetrying/time.Second)+1)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// httpErrorBody is what an error response says: the message of the
// google.rpc.Status the specification asks collectors to send, else the
// start of the body as text.
func httpErrorBody(contentType string, data []byte) string {
	if contentType == "application/x-protobuf" {
		if _, msg, _ := decodeRPCStatus(data); msg != "" {
			return msg
		}
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "(empty body)"
	}
	if len(data) > 512 {
		return strconv.Quote(string(data[:512])) + "…"
	}
	return strconv.Quote(string(data))
}

// partialSuccess logs the partial_success of an ExportTraceServiceResponse
// when the collector rejected spans or said something.
func (c *otlpClient) partialSuccess(resp []byte) {
	ps, ok := protoField(resp, 1)
	if !ok {
		return
	}
	var rejected int64
	if v, ok := protoField(ps, 1); ok && len(v) > 0 {
		u, _ := protowire.ConsumeVarint(v)
		rejected = int64(u) //nolint:gosec // protobuf int64 on the wire: the varint's two's complement, as proto does
	}
	msg, _ := protoField(ps, 2)
	if rejected != 0 || len(msg) > 0 {
		c.log.Warn("the trace collector rejected spans", "protocol", c.s.protocol, "rejected_spans", rejected, "message", string(msg))
	}
}

// protoField is the last occurrence of field num in a protobuf message:
// the bytes of a length-delimited field, the varint's own bytes for a
// varint. Malformed input is not found.
func protoField(b []byte, num protowire.Number) ([]byte, bool) {
	var out []byte
	found := false
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
		var v []byte
		switch typ {
		case protowire.BytesType:
			var m int
			v, m = protowire.ConsumeBytes(b)
			l = m
		case protowire.VarintType:
			_, l = protowire.ConsumeVarint(b)
			if l >= 0 {
				v = b[:l]
			}
		default:
			l = protowire.ConsumeFieldValue(n, typ, b)
		}
		if l < 0 {
			return nil, false
		}
		if n == num && (typ == protowire.BytesType || typ == protowire.VarintType) {
			out, found = v, true
		}
		b = b[l:]
	}
	return out, found
}

// decodeRPCStatus reads a google.rpc.Status: its code, message, and the
// retry delay of a google.rpc.RetryInfo among its details.
func decodeRPCStatus(b []byte) (code int64, msg string, delay *time.Duration) {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return code, msg, delay
		}
		b = b[l:]
		switch {
		case n == 1 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			code, l = int64(int32(v)), m //nolint:gosec // protobuf int32 on the wire: the varint's low 32 bits, as proto does
		case n == 2 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			msg, l = string(v), m
		case n == 3 && typ == protowire.BytesType: // google.protobuf.Any
			v, m := protowire.ConsumeBytes(b)
			l = m
			if typeURL, _ := protoField(v, 1); string(typeURL) == "type.googleapis.com/google.rpc.RetryInfo" {
				info, _ := protoField(v, 2)
				if d, ok := protoField(info, 1); ok { // retry_delay, a Duration
					delay = new(time.Duration)
					*delay = protoDuration(d)
				}
			}
		default:
			l = protowire.ConsumeFieldValue(n, typ, b)
		}
		if l < 0 {
			return code, msg, delay
		}
		b = b[l:]
	}
	return code, msg, delay
}

// protoDuration reads a google.protobuf.Duration.
func protoDuration(b []byte) time.Duration {
	var secs, nanos int64
	if v, ok := protoField(b, 1); ok {
		u, _ := protowire.ConsumeVarint(v)
		secs = int64(u) //nolint:gosec // protobuf int64 on the wire, as proto reads it
	}
	if v, ok := protoField(b, 2); ok {
		u, _ := protowire.ConsumeVarint(v)
		nanos = int64(int32(u)) //nolint:gosec // protobuf int32 on the wire, as proto reads it
	}
	secs = min(max(secs, 0), int64(maxOTLPRetrying/time.Second)+1)
	return time.Duration(secs)*time.Second + time.Duration(max(nanos, 0))
}
