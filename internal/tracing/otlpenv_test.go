package tracing

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestReadOTLPEnv: the exporter's settings from the OTEL_EXPORTER_OTLP_*
// variables, as the official Go exporters (v1.47) read them, or the error
// when they cannot work.
func TestReadOTLPEnv(t *testing.T) {
	type want struct {
		url     string
		headers []header
		gzip    bool
		timeout time.Duration
		tls     bool
		err     string // the error's gist, when the settings can never work
	}
	const base = "OTEL_EXPORTER_OTLP_"
	for _, tc := range []struct {
		name     string
		protocol string
		env      map[string]string
		want     want
	}{
		// OTLP/HTTP: the generic endpoint is a base URL, /v1/traces joined
		// to its path; the signal's is used as it is, / if it has no path.
		{"http generic", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://collector:4318"},
			want{url: "http://collector:4318/v1/traces"}},
		{"http generic with a path", ProtocolHTTP, map[string]string{base + "ENDPOINT": "https://otlp.example.com/otlp/"},
			want{url: "https://otlp.example.com/otlp/v1/traces"}},
		{"http signal as it is", ProtocolHTTP, map[string]string{base + "TRACES_ENDPOINT": "http://collector:4318/ingest/spans"},
			want{url: "http://collector:4318/ingest/spans"}},
		{"http signal without a path", ProtocolHTTP, map[string]string{base + "TRACES_ENDPOINT": "https://collector:4318"},
			want{url: "https://collector:4318/"}},
		{"http signal wins", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://a:4318", base + "TRACES_ENDPOINT": "http://b:4318/v1/traces"},
			want{url: "http://b:4318/v1/traces"}},
		{"http user info and query dropped", ProtocolHTTP, map[string]string{base + "ENDPOINT": "https://user:pw@collector/x?y=1"},
			want{url: "https://collector/x/v1/traces"}},
		// INSECURE overrides the scheme, either way, TRACES_ last.
		{"http insecure=true", ProtocolHTTP, map[string]string{base + "ENDPOINT": "https://collector:4318", base + "INSECURE": "TRUE"},
			want{url: "http://collector:4318/v1/traces"}},
		{"http insecure=false", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://collector:4318", base + "INSECURE": "false"},
			want{url: "https://collector:4318/v1/traces"}},
		{"http traces insecure wins", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c:4318", base + "INSECURE": "false", base + "TRACES_INSECURE": "true"},
			want{url: "http://c:4318/v1/traces"}},
		// OTLP/gRPC: the host of an http(s) URL; a bare target means TLS
		// unless INSECURE says not.
		{"grpc http", ProtocolGRPC, map[string]string{base + "ENDPOINT": "http://collector:4317"},
			want{url: "http://collector:4317" + otlpExportMethod}},
		{"grpc https, path ignored", ProtocolGRPC, map[string]string{base + "TRACES_ENDPOINT": "https://collector:4317/ignored"},
			want{url: "https://collector:4317" + otlpExportMethod}},
		{"grpc host:port", ProtocolGRPC, map[string]string{base + "ENDPOINT": "collector:4317"},
			want{url: "https://collector:4317" + otlpExportMethod}},
		{"grpc ip:port insecure", ProtocolGRPC, map[string]string{base + "ENDPOINT": "127.0.0.1:4317", base + "INSECURE": "true"},
			want{url: "http://127.0.0.1:4317" + otlpExportMethod}},
		{"grpc dns target", ProtocolGRPC, map[string]string{base + "ENDPOINT": "dns:///collector:4317"},
			want{url: "https://collector:4317" + otlpExportMethod}},
		{"grpc host without port", ProtocolGRPC, map[string]string{base + "ENDPOINT": "collector"},
			want{url: "https://collector:443" + otlpExportMethod}},
		// Certificates mean TLS for gRPC, whatever the scheme says.
		{"grpc http with a CA", ProtocolGRPC, map[string]string{base + "ENDPOINT": "http://collector:4317", base + "CERTIFICATE": "ca.pem"},
			want{url: "https://collector:4317" + otlpExportMethod, tls: true}},
		{"http client certificate", ProtocolHTTP, map[string]string{base + "ENDPOINT": "https://c", base + "TRACES_CLIENT_CERTIFICATE": "client.pem", base + "TRACES_CLIENT_KEY": "client-key.pem"},
			want{url: "https://c/v1/traces", tls: true}},
		// Headers: URL-decoded values, trimmed; TRACES_HEADERS replaces
		// HEADERS; a malformed pair is skipped.
		{"headers", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c", base + "HEADERS": "api-key=a%20b%2Cc , x-team= blue ,bad,=nokey,sp ace=1,x-enc=%zz"},
			want{url: "http://c/v1/traces", headers: []header{{"api-key", "a b,c"}, {"x-team", "blue"}}}},
		{"traces headers replace", ProtocolGRPC, map[string]string{base + "ENDPOINT": "http://c:1", base + "HEADERS": "a=1", base + "TRACES_HEADERS": "b=2"},
			want{url: "http://c:1" + otlpExportMethod, headers: []header{{"b", "2"}}}},
		// Compression and timeout, the TRACES_ one winning; a malformed
		// timeout is skipped.
		{"gzip", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c", base + "COMPRESSION": "gzip"},
			want{url: "http://c/v1/traces", gzip: true}},
		{"traces compression wins", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c", base + "COMPRESSION": "gzip", base + "TRACES_COMPRESSION": "none"},
			want{url: "http://c/v1/traces"}},
		{"unknown compression", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c", base + "COMPRESSION": "zstd"},
			want{url: "http://c/v1/traces"}},
		{"timeout", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c", base + "TIMEOUT": "2500"},
			want{url: "http://c/v1/traces", timeout: 2500 * time.Millisecond}},
		{"traces timeout wins", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c", base + "TIMEOUT": "2500", base + "TRACES_TIMEOUT": "300"},
			want{url: "http://c/v1/traces", timeout: 300 * time.Millisecond}},
		{"malformed traces timeout skipped", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c", base + "TIMEOUT": "2500", base + "TRACES_TIMEOUT": "3s"},
			want{url: "http://c/v1/traces", timeout: 2500 * time.Millisecond}},
		{"malformed timeout skipped", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c", base + "TIMEOUT": "10s"},
			want{url: "http://c/v1/traces", timeout: defaultOTLPTimeout}},
		// Settings that can never work are refused, naming the variable
		// to change.
		{"no endpoint", ProtocolHTTP, nil,
			want{err: "set OTEL_EXPORTER_OTLP_ENDPOINT"}},
		{"http endpoint without a scheme", ProtocolHTTP, map[string]string{base + "ENDPOINT": "localhost:4318"},
			want{err: "OTEL_EXPORTER_OTLP_ENDPOINT=localhost:4318: want a URL such as http://localhost:4318"}},
		{"http endpoint unparsable", ProtocolHTTP, map[string]string{base + "TRACES_ENDPOINT": "http://[::1"},
			want{err: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://[::1"}},
		{"grpc unix socket", ProtocolGRPC, map[string]string{base + "ENDPOINT": "unix:///run/otel.sock"},
			want{err: "unix sockets are not supported"}},
		{"grpc target with a path", ProtocolGRPC, map[string]string{base + "ENDPOINT": "collector:4317/x"},
			want{err: "want host:port"}},
		{"missing CA file", ProtocolHTTP, map[string]string{base + "ENDPOINT": "https://c", base + "CERTIFICATE": "missing.pem"},
			want{err: "missing.pem: no such file"}},
		{"CA file without a certificate", ProtocolHTTP, map[string]string{base + "ENDPOINT": "https://c", base + "TRACES_CERTIFICATE": "client-key.pem"},
			want{err: "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: client-key.pem: no PEM certificate"}},
		{"client certificate without its key", ProtocolGRPC, map[string]string{base + "ENDPOINT": "https://c", base + "CLIENT_CERTIFICATE": "client.pem"},
			want{err: "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY go together"}},
		{"client key not a key", ProtocolHTTP, map[string]string{base + "ENDPOINT": "https://c", base + "CLIENT_CERTIFICATE": "client.pem", base + "CLIENT_KEY": "ca.pem"},
			want{err: "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE, OTEL_EXPORTER_OTLP_CLIENT_KEY"}},
		{"plain http with certificates", ProtocolHTTP, map[string]string{base + "ENDPOINT": "http://c", base + "CERTIFICATE": "ca.pem"},
			want{err: "is plain http, but certificates are given"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			s, err := readOTLPEnv(func(k string) string { return tc.env[k] }, readFiles(t), tc.protocol, slog.New(slog.NewTextHandler(&log, nil)))
			if tc.want.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.err) {
					t.Errorf("readOTLPEnv = %v, want an error with %q", err, tc.want.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want.timeout == 0 {
				tc.want.timeout = defaultOTLPTimeout
			}
			got := want{url: s.url, headers: s.headers, gzip: s.gzip, timeout: s.timeout, tls: s.tls != nil}
			if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{}, header{})); d != "" {
				t.Errorf("settings (-want +got):\n%s", d)
			}
			// Warnings name the variable, never a header's value.
			for _, value := range []string{"nokey", "zz", "a%20b"} {
				if strings.Contains(log.String(), value) {
					t.Errorf("log %q shows a header value", log.String())
				}
			}
		})
	}
}

// readFiles reads the files of ClientFiles, by name.
func readFiles(t *testing.T) func(string) ([]byte, error) {
	dir := NewTestCA(t).ClientFiles(t)
	return func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
}
