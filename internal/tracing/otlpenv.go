package tracing

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// otlpSettings say where and how spans leave: what the official Go OTLP
// trace exporters (otlptracehttp, otlptracegrpc, v1.47) read from the
// OTEL_EXPORTER_OTLP_* variables, read the same way.
type otlpSettings struct {
	protocol string // ProtocolHTTP or ProtocolGRPC
	// url is where an export is posted: for http/protobuf the endpoint's
	// host and path; for grpc the endpoint's host and the Export method.
	url     string
	headers []header // in the order given, values URL-decoded
	gzip    bool
	// timeout bounds one export, its retries included; zero is none.
	timeout time.Duration
	tls     *tls.Config // the certificates given; nil when none are
}

type header struct{ name, value string }

// The official exporters' defaults.
const (
	defaultOTLPTimeout = 10 * time.Second
	otlpTracesPath     = "/v1/traces"
	otlpExportMethod   = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
)

// otlpEnvPrefix is the namespace of the variables; TRACES_ after it names
// the signal-specific variant, which wins over the generic one.
const otlpEnvPrefix = "OTEL_EXPORTER_OTLP_"

// readOTLPEnv reads the exporter's settings for protocol. A setting that
// can never work (an endpoint with no host, a certificate that cannot be
// read) is an error; one the official exporters skip with a log line (a
// malformed timeout, header or compression) is skipped with a warning.
// Header values, which often carry credentials, are never logged.
func readOTLPEnv(getenv func(string) string, readFile func(string) ([]byte, error), protocol string, log *slog.Logger) (otlpSettings, error) {
	s := otlpSettings{protocol: protocol, timeout: defaultOTLPTimeout}
	// get is a variable's value, trimmed, and its full name: the
	// TRACES_ variant when that is set, else the generic one.
	get := func(key string) (value, name string) {
		name = otlpEnvPrefix + "TRACES_" + key
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v, name
		}
		name = otlpEnvPrefix + key
		return strings.TrimSpace(getenv(name)), name
	}
	var errs []error

	// The endpoint. Its scheme says whether to use TLS (http and unix
	// say no, anything else yes); OTEL_EXPORTER_OTLP_INSECURE, when set,
	// overrides that either way, as it does for the official exporters.
	var host, urlPath string
	insecure := false
	signal := strings.TrimSpace(getenv(otlpEnvPrefix + "TRACES_ENDPOINT"))
	endpoint, endpointVar := signal, otlpEnvPrefix+"TRACES_ENDPOINT"
	if endpoint == "" {
		endpoint, endpointVar = strings.TrimSpace(getenv(otlpEnvPrefix+"ENDPOINT")), otlpEnvPrefix+"ENDPOINT"
	}
	if endpoint == "" {
		return s, errors.New("no OTLP endpoint: set OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	}
	var err error
	switch protocol {
	case ProtocolGRPC:
		host, insecure, err = grpcTarget(endpoint)
	default:
		host, urlPath, insecure, err = httpEndpoint(endpoint, signal != "")
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("%s=%s: %w", endpointVar, endpoint, err))
	}
	for _, key := range []string{"INSECURE", "TRACES_INSECURE"} {
		if v := strings.TrimSpace(getenv(otlpEnvPrefix + key)); v != "" {
			insecure = strings.EqualFold(v, "true")
		}
	}

	// TLS: a CA to trust, a client certificate and its key.
	if v, name := get("CERTIFICATE"); v != "" {
		pool, err := readCertPool(readFile, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		} else {
			s.tls = &tls.Config{RootCAs: pool}
		}
	}
	if cert, err := readClientCert(getenv, readFile); err != nil {
		errs = append(errs, err)
	} else if cert != nil {
		if s.tls == nil {
			s.tls = &tls.Config{}
		}
		s.tls.Certificates = []tls.Certificate{*cert}
	}
	switch {
	case protocol == ProtocolGRPC:
		// The official gRPC exporter uses TLS when certificates are
		// given, whatever the endpoint's scheme or INSECURE say.
		if s.tls != nil {
			insecure = false
		}
		s.url = "https://" + host + otlpExportMethod
		if insecure {
			s.url = "http://" + host + otlpExportMethod
		}
	case insecure && s.tls != nil:
		errs = append(errs, fmt.Errorf("%s=%s is plain http, but certificates are given: use https", endpointVar, endpoint))
	default:
		u := url.URL{Scheme: "https", Host: host, Path: urlPath}
		if insecure {
			u.Scheme = "http"
		}
		s.url = u.String()
	}
	if len(errs) > 0 {
		return otlpSettings{}, errors.Join(errs...)
	}

	if v, name := get("HEADERS"); v != "" {
		s.headers = parseHeaders(v, name, log)
	}
	if v, name := get("COMPRESSION"); v != "" {
		s.gzip = v == "gzip"
		if v != "gzip" && v != "none" {
			log.Warn("unknown OTLP compression, sending uncompressed", "variable", name, "value", v, "want", "gzip or none")
		}
	}
	// A malformed timeout is skipped: the generic one, or the default,
	// stands.
	for _, key := range []string{"TIMEOUT", "TRACES_TIMEOUT"} {
		name := otlpEnvPrefix + key
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		ms, err := strconv.Atoi(v)
		if err != nil {
			log.Warn("OTLP timeout is not a whole number of milliseconds; ignored", "variable", name, "value", v)
			continue
		}
		s.timeout = max(time.Duration(ms)*time.Millisecond, 0)
	}
	return s, nil
}

// httpEndpoint is the host and path of an OTLP/HTTP endpoint, and whether
// its scheme asks for plain http. The generic endpoint is a base URL that
// /v1/traces is appended to; the signal-specific one is used as it is, /
// when it has no path.
func httpEndpoint(endpoint string, signal bool) (host, urlPath string, insecure bool, err error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", "", false, err
	}
	if u.Host == "" {
		return "", "", false, fmt.Errorf("want a URL such as http://%s", strings.TrimPrefix(endpoint, "//"))
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case signal && u.Path == "":
		urlPath = "/"
	case signal:
		urlPath = u.Path
	default:
		urlPath = path.Join("/", u.Path, otlpTracesPath)
	}
	return u.Host, urlPath, scheme == "http" || scheme == "unix", nil
}

// grpcTarget is the host:port of an OTLP/gRPC endpoint, and whether its
// scheme asks for plain (h2c) HTTP/2. http:// and https:// URLs give their
// host (a path is ignored); a bare host:port, like gRPC's dns:/// and
// passthrough:/// targets, means TLS unless INSECURE says otherwise. A host
// with no port is port 443, as in gRPC.
func grpcTarget(endpoint string) (host string, insecure bool, err error) {
	target := endpoint
	if u, err := url.Parse(endpoint); err == nil {
		switch strings.ToLower(u.Scheme) {
		case "http", "https":
			if u.Host == "" {
				return "", false, errors.New("the URL has no host")
			}
			return u.Host, strings.EqualFold(u.Scheme, "http"), nil
		case "unix":
			return "", false, errors.New("unix sockets are not supported; give http://host:port or https://host:port")
		case "":
			if u.Host != "" {
				target = u.Host
			}
		}
	}
	for _, prefix := range []string{"dns:///", "passthrough:///"} {
		if len(target) > len(prefix) && strings.EqualFold(target[:len(prefix)], prefix) {
			target = target[len(prefix):]
		}
	}
	if strings.ContainsAny(target, "/?#") || target == "" {
		return "", false, errors.New("want host:port, http://host:port or https://host:port")
	}
	if _, _, err := net.SplitHostPort(target); err != nil {
		target = net.JoinHostPort(strings.Trim(target, "[]"), "443")
	}
	return target, false, nil
}

// parseHeaders reads a comma-separated list of key=value pairs, values
// URL-decoded, keys HTTP tokens; a malformed pair is skipped with a
// warning that names its key, never its value.
func parseHeaders(list, variable string, log *slog.Logger) []header {
	var hs []header
	for pair := range strings.SplitSeq(list, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || !validHeaderName(k) {
			log.Warn("skipping a malformed OTLP header: want key=value with a token key", "variable", variable, "key", k)
			continue
		}
		v, err := url.PathUnescape(v)
		if err != nil {
			log.Warn("skipping an OTLP header whose value is not URL-encoded", "variable", variable, "key", k)
			continue
		}
		hs = append(hs, header{k, strings.TrimSpace(v)})
	}
	return hs
}

// validHeaderName reports whether k is an HTTP token (RFC 9110).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range []byte(k) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func readCertPool(readFile func(string) ([]byte, error), file string) (*x509.CertPool, error) {
	pem, err := readFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", file)
	}
	return pool, nil
}

// readClientCert is the client certificate and key pair, the TRACES_
// pair when both of it are set; nil when no pair is.
func readClientCert(getenv func(string) string, readFile func(string) ([]byte, error)) (*tls.Certificate, error) {
	for _, ns := range []string{"TRACES_", ""} {
		certVar, keyVar := otlpEnvPrefix+ns+"CLIENT_CERTIFICATE", otlpEnvPrefix+ns+"CLIENT_KEY"
		certFile, keyFile := strings.TrimSpace(getenv(certVar)), strings.TrimSpace(getenv(keyVar))
		if certFile == "" && keyFile == "" {
			continue
		}
		if certFile == "" || keyFile == "" {
			return nil, fmt.Errorf("%s and %s go together: set both or neither", certVar, keyVar)
		}
		certPEM, err := readFile(certFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", certVar, err)
		}
		keyPEM, err := readFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keyVar, err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", certVar, keyVar, err)
		}
		return &cert, nil
	}
	return nil, nil
}
