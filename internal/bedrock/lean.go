package bedrock

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/schemas"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	"github.com/aws/smithy-go/auth/bearer"
	smithyrand "github.com/aws/smithy-go/rand"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// leanConverse makes a non-streaming Converse call without the SDK's
// per-call middleware stack, which builds some forty middlewares, resolves
// the endpoint and the auth scheme, and clones the request on every call:
// most of the client's own CPU and allocations on a miss (see doc.go).
//
// It keeps what Bedrock sees and what the caller gets identical by using
// the SDK's own parts: the client's protocol serializer (or, for the usual
// text conversation, leanbody.go's copy of what it writes) and deserializer
// with the service's Converse schema and type registry (same body bytes,
// same error types), its endpoint resolver (resolved once, at New), its
// credentials provider (cached) and SigV4 signer (or bearer signer), its
// HTTP client, and its retryer (the same instance, so one retry quota).
// The retry loop
// follows the SDK's (aws/retry.Attempt): attempt and retry tokens, the
// X-Amz-Retry-After header, clock skew correction, MaxAttemptsError.
type leanConverse struct {
	protocol smithyhttp.ClientProtocol
	op       *smithy.OperationSchema
	// endpoint is the resolved endpoint, or endpointErr why there is none
	// (reported on each call, as the SDK does).
	endpoint    url.URL
	endpointHdr http.Header
	endpointErr error
	signer      bedrockruntime.HTTPSignerV4
	signName    string
	signRegion  string
	noDoubleEsc bool
	creds       aws.CredentialsProvider
	client      bedrockruntime.HTTPClient
	retryer     aws.RetryerV2
	// scheme is how requests are signed: SigV4 with creds, or a Bedrock
	// API key (bearer) from bearer, signed by bearerSigner.
	scheme       string
	bearer       bearer.TokenProvider
	bearerSigner bearer.Signer
	userAgent    string
	// skew is the clock skew (server minus local, in nanoseconds) last
	// seen, added to the signing time, as the SDK's client keeps it.
	skew        atomic.Int64
	maxAttempts int
	// attemptValues are the Amz-Sdk-Request values of the first attempts,
	// and signOptions the signer's options: the same on every call, so
	// made once.
	attemptValues []string
	signOptions   func(*v4.SignerOptions)
}

// newLean returns the lean path for rt's options, or nil when the call
// must go through the SDK: no auth scheme to sign with, a legacy endpoint
// resolver, or a retryer of another shape.
func newLean(ctx context.Context, rt *bedrockruntime.Client, log *slog.Logger) *leanConverse {
	o := rt.Options()
	//lint:ignore SA1019 a legacy resolver, if one is set, is honoured: the SDK path does.
	if o.EndpointResolver != nil || o.Protocol == nil || o.HTTPSignerV4 == nil || o.HTTPClient == nil {
		return nil
	}
	scheme := authScheme(o)
	if scheme == "" || (scheme == schemeBearer && o.BearerAuthSigner == nil) {
		return nil
	}
	retryer, ok := o.Retryer.(aws.RetryerV2)
	if !ok {
		return nil
	}
	l := &leanConverse{
		scheme:       scheme,
		bearer:       o.BearerAuthTokenProvider,
		bearerSigner: o.BearerAuthSigner,
		protocol:     o.Protocol,
		op:           smithy.NewOperationSchema(schemas.Converse, schemas.ConverseRequest, schemas.ConverseResponse),
		signer:       o.HTTPSignerV4,
		signName:     "bedrock",
		signRegion:   o.Region,
		creds:        o.Credentials,
		client:       o.HTTPClient,
		retryer:      retryer,
		maxAttempts:  retryer.MaxAttempts(),
	}
	ua, err := userAgent(ctx, rt, o.Credentials)
	if err != nil {
		log.Warn("bedrock: Converse calls go through the SDK's middleware stack", "error", err)
		return nil
	}
	l.userAgent = ua
	l.resolveEndpoint(ctx, o)
	for n := 1; n <= min(l.maxAttempts, 10); n++ {
		l.attemptValues = append(l.attemptValues, attemptValue(n, l.maxAttempts))
	}
	noDoubleEsc := l.noDoubleEsc
	l.signOptions = func(o *v4.SignerOptions) { o.DisableURIPathEscaping = noDoubleEsc }
	return l
}

// attemptValue is the Amz-Sdk-Request header of attempt n of max.
func attemptValue(n, max int) string {
	return "attempt=" + strconv.Itoa(n) + "; max=" + strconv.Itoa(max)
}

// Auth schemes, as AuthSchemePreference names them.
const (
	schemeSigV4  = "sigv4"
	schemeBearer = "httpBearerAuth" //nolint:gosec // the name of an auth scheme, not a credential
)

// authScheme is the scheme the SDK picks for a call (its
// resolveAuthSchemeMiddleware): the service's options, SigV4 then bearer,
// reordered by AuthSchemePreference, the first one whose identity is
// configured. It is fixed by the options, so chosen once. "" is none: the
// SDK's path says why on each call.
func authScheme(o bedrockruntime.Options) string {
	available := map[string]bool{schemeSigV4: o.Credentials != nil, schemeBearer: o.BearerAuthTokenProvider != nil}
	for _, s := range append(slices.Clone(o.AuthSchemePreference), schemeSigV4, schemeBearer) {
		if available[s] {
			return s
		}
	}
	return ""
}

// resolveEndpoint resolves the endpoint once, with the parameters the SDK
// binds on every call (bindEndpointParams): they depend only on options.
func (l *leanConverse) resolveEndpoint(ctx context.Context, o bedrockruntime.Options) {
	params := bedrockruntime.EndpointParameters{
		UseDualStack: aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		UseFIPS:      aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		Endpoint:     o.BaseEndpoint,
	}
	if o.Region != "" {
		params.Region = aws.String(mapFIPSRegion(o.Region))
	}
	ep, err := o.EndpointResolverV2.ResolveEndpoint(ctx, params)
	if err != nil {
		l.endpointErr = fmt.Errorf("failed to resolve service endpoint, %w", err)
		return
	}
	if err := smithyhttp.ValidateEndpointHost(ep.URI.Host); err != nil {
		l.endpointErr = err
		return
	}
	l.endpoint = ep.URI
	if o.EndpointOptions.DisableHTTPS {
		l.endpoint.Scheme = "http"
	}
	l.endpointHdr = ep.Headers
	opts, _ := smithyauth.GetAuthOptions(&ep.Properties)
	for _, a := range opts {
		if a.SchemeID != smithyauth.SchemeIDSigV4 {
			continue
		}
		if v, ok := smithyhttp.GetSigV4SigningName(&a.SignerProperties); ok {
			l.signName = v
		}
		if v, ok := smithyhttp.GetSigV4SigningRegion(&a.SignerProperties); ok {
			l.signRegion = v
		}
		if v, ok := smithyhttp.GetDisableDoubleEncoding(&a.SignerProperties); ok {
			l.noDoubleEsc = v
		}
	}
}

// mapFIPSRegion is the SDK's internal endpoints.MapFIPSRegion: a
// "fips-" or "-fips" in a region names the FIPS endpoint, not a region.
func mapFIPSRegion(region string) string {
	for _, s := range []string{"-fips-", "fips-", "-fips"} {
		if strings.Contains(region, s) {
			region = strings.ReplaceAll(region, "-fips-", "-")
			region = strings.ReplaceAll(region, "fips-", "")
			return strings.ReplaceAll(region, "-fips", "")
		}
	}
	return region
}

// userAgent is the User-Agent the SDK sends on a Converse call (SDK and
// service versions, OS, Go, feature and credential-source codes, the
// application ID if configured), taken once from a request the SDK builds
// and signs with stand-in credentials but never sends.
func userAgent(ctx context.Context, rt *bedrockruntime.Client, creds aws.CredentialsProvider) (string, error) {
	var ua string
	_, err := rt.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String("user-agent")}, func(o *bedrockruntime.Options) {
		o.HTTPClient = doFunc(func(r *http.Request) (*http.Response, error) {
			ua = r.Header.Get("User-Agent")
			return nil, errNotSent
		})
		o.Credentials = standInCredentials{creds}
		o.RetryMaxAttempts = 1
	})
	if ua == "" {
		return "", fmt.Errorf("no User-Agent from the SDK: %w", err)
	}
	return ua, nil
}

var errNotSent = errors.New("not sent")

// doFunc is an HTTP client of one function.
type doFunc func(*http.Request) (*http.Response, error)

func (f doFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// standInCredentials are fixed credentials that report the sources of
// the real provider, which the SDK names in the User-Agent.
type standInCredentials struct{ real aws.CredentialsProvider }

func (standInCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "SECRET"}, nil
}

func (c standInCredentials) ProviderSources() []aws.CredentialSource {
	if s, ok := c.real.(aws.CredentialProviderSource); ok {
		return s.ProviderSources()
	}
	return nil
}

// clockSkewCodes are the error codes the SDK retries when the answer's
// Date shows the signing clock off by more than skewThreshold.
var clockSkewCodes = []string{"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", "RequestTimeTooSkewed", "AccessDeniedException"}

const (
	skewThreshold       = 4 * time.Minute
	maxTrustedRoundTrip = 15 * time.Minute
	retryAfterHeader    = "X-Amz-Retry-After"
	retryAfterMaxExtra  = 5 * time.Second
	requestIDHeader     = "X-Amzn-Requestid"
	invocationIDHeader  = "Amz-Sdk-Invocation-Id"
	attemptHeader       = "Amz-Sdk-Request"
	converseOperation   = "Converse"
)

// converse sends one Converse call, retried as the SDK would.
func (l *leanConverse) converse(ctx context.Context, in *bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error) {
	out, err := l.call(ctx, in)
	if err != nil {
		return nil, &smithy.OperationError{ServiceID: bedrockruntime.ServiceID, OperationName: converseOperation, Err: err}
	}
	return out, nil
}

func (l *leanConverse) call(ctx context.Context, in *bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error) {
	if l.endpointErr != nil {
		return nil, l.endpointErr
	}
	sr, ok := leanSerialize(in)
	if !ok {
		var err error
		if sr, err = l.sdkSerialize(ctx, in); err != nil {
			return nil, err
		}
	}
	body := sr.body
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])

	// As the SDK's resolveEndpointV2Middleware joins them.
	u := l.endpoint
	if u.RawPath == "" && sr.url.RawPath != "" {
		u.RawPath = u.Path
	}
	u.Path = smithyhttp.JoinPath(u.Path, sr.url.Path)
	u.RawPath = smithyhttp.JoinPath(u.RawPath, sr.url.RawPath)
	header := sr.header
	for k := range l.endpointHdr {
		header.Set(k, l.endpointHdr.Get(k))
	}
	header.Set("User-Agent", l.userAgent)
	if id, err := smithyrand.NewUUID(rand.Reader).GetUUID(); err == nil {
		header.Set(invocationIDHeader, id)
	}
	p := &prepared{method: sr.method, url: u, header: header, body: body, hash: hash}

	attemptSkew := time.Duration(l.skew.Load())
	release := func(error) error { return nil }
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			gateway.Notify(ctx, gateway.Notice{Level: "warning", Kind: "retry",
				Message: fmt.Sprintf("Bedrock failed or throttled the call; attempt %d of %d", attempt, l.maxAttempts)})
		}
		res := l.attempt(ctx, p, attempt, attemptSkew, release)
		release = res.release
		if res.skewSeen {
			attemptSkew = res.skew
		}
		if !res.retry {
			if res.skewSeen {
				l.skew.Store(int64(res.skew))
			}
			return res.out, res.err
		}
	}
}

// sdkSerialize is in's request as the SDK's protocol serializer makes it,
// for the inputs leanSerialize leaves to it.
func (l *leanConverse) sdkSerialize(ctx context.Context, in *bedrockruntime.ConverseInput) (*serializedRequest, error) {
	sreq := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	if err := l.protocol.SerializeRequest(ctx, l.op, in, sreq); err != nil {
		return nil, &smithy.SerializationError{Err: err}
	}
	sr := &serializedRequest{method: sreq.Method, url: url.URL{Path: sreq.URL.Path, RawPath: sreq.URL.RawPath}, header: sreq.Header}
	if s := sreq.GetStream(); s != nil {
		var err error
		if sr.body, err = io.ReadAll(s); err != nil {
			return nil, &smithy.SerializationError{Err: err}
		}
	}
	return sr, nil
}

// prepared is a serialized request, sent once per attempt.
type prepared struct {
	method string
	url    url.URL
	header http.Header
	body   []byte
	hash   string
}

type attemptResult struct {
	out      *bedrockruntime.ConverseOutput
	err      error
	retry    bool
	release  func(error) error
	skew     time.Duration
	skewSeen bool
}

// attempt is retry.Attempt.handleAttempt for one attempt: release is the
// retry-quota token of the attempt before, if it was a retry.
func (l *leanConverse) attempt(ctx context.Context, p *prepared, n int, skew time.Duration, release func(error) error) (r attemptResult) {
	r.release = func(error) error { return nil }
	if err := ctx.Err(); err != nil {
		r.err = err
		return r
	}
	releaseAttempt, err := l.retryer.GetAttemptToken(ctx)
	if err != nil {
		r.err = fmt.Errorf("failed to get retry Send token, %w", err)
		return r
	}
	r.out, r.skew, r.skewSeen, err = l.send(ctx, p, n, skew)
	if rerr := release(err); rerr != nil && err != nil {
		r.err = fmt.Errorf("failed to release retry token after request error, %w", err)
		return r
	}
	if rerr := releaseAttempt(err); rerr != nil && err != nil {
		r.err = fmt.Errorf("failed to release initial token after request error, %w", err)
		return r
	}
	if err == nil {
		return r
	}
	var coded interface{ ErrorCode() string }
	if r.skewSeen && errors.As(err, &coded) && slices.Contains(clockSkewCodes, coded.ErrorCode()) && absDuration(skew-r.skew) > skewThreshold {
		err = &clockSkewError{err}
	}
	r.err = err
	if !l.retryer.IsErrorRetryable(err) {
		return r
	}
	if l.maxAttempts > 0 && n >= l.maxAttempts {
		r.err = &retry.MaxAttemptsError{Attempt: n, Err: err}
		return r
	}
	releaseRetry, terr := l.retryer.GetRetryToken(ctx, err)
	if terr != nil {
		r.err = errors.Join(err, terr)
		return r
	}
	r.release = releaseRetry
	delay, derr := l.retryer.RetryDelay(n, err)
	if derr != nil {
		r.err = derr
		return r
	}
	if err := sleep(ctx, retryAfter(delay, err)); err != nil {
		r.err = &aws.RequestCanceledError{Err: err}
		return r
	}
	r.retry = true
	return r
}

// send makes one attempt: sign, send, decode. skew is added to the
// signing time; seen tells whether the answer's Date gave a new one.
func (l *leanConverse) send(ctx context.Context, p *prepared, n int, skew time.Duration) (out *bedrockruntime.ConverseOutput, newSkew time.Duration, seen bool, err error) {
	var creds aws.Credentials
	var token bearer.Token
	if l.scheme == schemeBearer {
		if token, err = l.bearer.RetrieveBearerToken(ctx); err != nil {
			return nil, 0, false, fmt.Errorf("get identity: get token: %w", err)
		}
	} else if creds, err = l.creds.Retrieve(ctx); err != nil {
		return nil, 0, false, fmt.Errorf("get identity: get credentials: %w", err)
	}
	u := p.url
	r := http.Request{ // copied by WithContext: r itself stays on the stack
		Method:     p.method,
		URL:        &u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     p.header.Clone(),
		Host:       u.Host,
	}
	req := r.WithContext(ctx)
	if len(p.body) > 0 {
		req.ContentLength = int64(len(p.body))
		req.Body = io.NopCloser(bytes.NewReader(p.body))
	}
	attempt := ""
	if n-1 < len(l.attemptValues) {
		attempt = l.attemptValues[n-1]
	} else {
		attempt = attemptValue(n, l.maxAttempts)
	}
	req.Header.Set(attemptHeader, attempt)
	if l.scheme == schemeBearer {
		signed, serr := l.bearerSigner.SignWithBearerToken(ctx, token, &smithyhttp.Request{Request: req})
		if serr != nil {
			return nil, 0, false, fmt.Errorf("sign request: %w", serr)
		}
		sr, ok := signed.(*smithyhttp.Request)
		if !ok {
			return nil, 0, false, fmt.Errorf("sign request: the bearer signer returned a %T", signed)
		}
		req = sr.Request
	} else {
		err = l.signer.SignHTTP(ctx, creds, req, p.hash, l.signName, l.signRegion, time.Now().Add(skew), l.signOptions)
		if err != nil {
			return nil, 0, false, fmt.Errorf("sign http: %w", err)
		}
	}

	sentAt := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		if ctx.Err() != nil {
			return nil, 0, false, &smithy.CanceledError{Err: ctx.Err()}
		}
		return nil, 0, false, &smithyhttp.RequestSendError{Err: err}
	}
	newSkew, seen = responseSkew(resp, sentAt, time.Now())
	defer func() { _ = resp.Body.Close() }()
	out = &bedrockruntime.ConverseOutput{}
	hr := &smithyhttp.Response{Response: resp}
	if err := l.protocol.DeserializeResponse(ctx, l.op, bedrockruntime.TypeRegistry, hr, out); err != nil {
		return nil, newSkew, seen, &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: hr, Err: err},
			RequestID:     resp.Header.Get(requestIDHeader),
		}
	}
	return out, newSkew, seen, nil
}

// responseSkew is the SDK's clock skew candidate (RecordResponseTiming):
// the answer's Date minus when it arrived, unless it came from a cache
// (Age) or the round trip took too long to be trusted.
func responseSkew(resp *http.Response, sentAt, at time.Time) (time.Duration, bool) {
	date := resp.Header.Get("Date")
	if date == "" || resp.Header.Get("Age") != "" || at.Sub(sentAt) > maxTrustedRoundTrip {
		return 0, false
	}
	t, err := smithyhttp.ParseTime(date)
	if err != nil {
		return 0, false
	}
	return t.Sub(at), true
}

// retryAfter is the SDK's adjustForRetryAfterHeader: Bedrock's
// X-Amz-Retry-After (milliseconds), kept within [backoff, backoff+5s].
func retryAfter(backoff time.Duration, err error) time.Duration {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return backoff
	}
	v := re.Response.Header.Get(retryAfterHeader)
	if v == "" {
		return backoff
	}
	ms, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil || ms < 0 {
		return backoff
	}
	return min(max(time.Duration(ms)*time.Millisecond, backoff), backoff+retryAfterMaxExtra)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// clockSkewError marks a signature refused because of the local clock,
// retryable now that the skew is known (the SDK's retryableClockSkewError).
type clockSkewError struct{ err error }

func (e *clockSkewError) Error() string        { return "Probable clock skew error: " + e.err.Error() }
func (e *clockSkewError) Unwrap() error        { return e.err }
func (e *clockSkewError) RetryableError() bool { return true }
