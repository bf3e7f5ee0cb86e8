package bedrock

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go/auth/bearer"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Defaults applied when the corresponding Options field is zero.
// maxIdleConns is how many idle connections to Bedrock the client keeps:
// enough for the concurrency one gateway sees.
const maxIdleConns = 256

const (
	DefaultRegion      = "us-east-1"
	DefaultMaxAttempts = 3
	DefaultMaxBackoff  = 20 * time.Second
)

// Log attribute keys.
const (
	logKeyModel      = "model"
	logKeyStopReason = "stop_reason"
	logKeyAttempt    = "attempt"
	logKeyErrorCode  = "error_code"
	logKeyDelay      = "delay"
	logKeyInput      = "input_tokens"
	logKeyOutput     = "output_tokens"
	logKeyLatency    = "latency"
	logKeyKind       = "kind"
	logKeyRegion     = "region"
	logKeyEndpoint   = "endpoint"
)

// Options configures a Client. The zero value is usable: region and
// credentials then come from the AWS environment.
type Options struct {
	// Region is the AWS region to call. If empty, the region from the AWS
	// environment (AWS_REGION, the profile); if that is empty too, us-east-1.
	Region string
	// Endpoint overrides the Bedrock Runtime URL (a simulator, a VPC
	// endpoint). If empty, the SDK resolves it, honouring
	// AWS_ENDPOINT_URL_BEDROCK_RUNTIME and AWS_ENDPOINT_URL.
	Endpoint string
	// Credentials, if nil, come from the standard AWS chain: environment,
	// shared config and profiles, SSO, web identity, container or instance
	// role. When set, they win over AWS_BEARER_TOKEN_BEDROCK too.
	Credentials aws.CredentialsProvider
	// Profile is the shared-config profile to use; if empty, AWS_PROFILE or
	// "default".
	Profile string
	// BearerToken is a Bedrock API key, sent instead of a SigV4 signature
	// when Credentials is nil. If empty, the SDK reads
	// AWS_BEARER_TOKEN_BEDROCK from the process environment.
	BearerToken string
	// Standalone consults no AWS setting of the environment or of shared
	// config files: Region, Endpoint and Credentials (all required then)
	// are all there is. For the simulator, which must answer whatever
	// AWS_PROFILE or ~/.aws say.
	Standalone bool
	// MaxAttempts is how many times one call is tried, the first included,
	// before a retryable failure is returned. If zero, 3. It wins over
	// AWS_MAX_ATTEMPTS.
	MaxAttempts int
	// MaxBackoff caps the delay between two attempts. If zero, 20s.
	MaxBackoff time.Duration
	// MaxAnswerBytes bounds the bytes read from one answer (a whole event
	// stream included); past it the call fails, not retried, instead of
	// the answer growing memory. If zero, DefaultMaxAnswerBytes.
	MaxAnswerBytes int64
	// AttemptTimeout bounds how long one attempt waits for Bedrock to start
	// answering (for Converse, the whole answer; for ConverseStream, its
	// headers), so that a hung attempt is retried within the call's own
	// deadline. It applies to the SDK's HTTP client, not to HTTPClient. If
	// zero, none.
	AttemptTimeout time.Duration
	// NoRetryQuota turns off the SDK's client-wide retry quota (a token
	// bucket of 500: each retry costs 5, a timeout 10, each success gives
	// one back), which after a burst of failures cuts every call to one
	// attempt, whatever MaxAttempts says, until calls succeed again. With it
	// off, every call gets MaxAttempts under sustained failures too, at the
	// price of more load on a struggling Bedrock.
	NoRetryQuota bool
	// HTTPClient sends the Bedrock requests (credential fetches keep the
	// SDK's client); if nil, the SDK's own client. AWS_CA_BUNDLE does not
	// apply to it.
	HTTPClient *http.Client
	// Logger receives retries, unmapped stop reasons and per-call debug
	// lines; if nil, nothing is logged.
	Logger *slog.Logger
}

// CheckCredentials resolves the credentials calls will be signed with and
// says why there are none, for a start-up check and readiness probes. With
// a Bedrock API key there is nothing to resolve. Resolving may reach an
// instance-metadata service, so bound ctx.
func (c *Client) CheckCredentials(ctx context.Context) error {
	o := c.rt.Options()
	if authScheme(o) == schemeBearer {
		return nil
	}
	if o.Credentials == nil {
		return &credentialsError{err: errors.New("no credential source is configured")}
	}
	_, err := o.Credentials.Retrieve(ctx)
	return err
}

// Client calls Bedrock models through the Converse API. It is safe for
// concurrent use.
type Client struct {
	rt *bedrockruntime.Client
	// lean makes Converse calls when it is not nil (see doc.go).
	lean   *leanConverse
	region string
	log    *slog.Logger
}

var _ gateway.Provider = (*Client)(nil)

// New loads the AWS configuration and returns a client. It does no network
// I/O: missing or invalid credentials show up on the first call, as an
// access-denied *gateway.Error.
func New(ctx context.Context, opts Options) (*Client, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	maxAttempts := opts.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = DefaultMaxAttempts
	}
	maxBackoff := opts.MaxBackoff
	if maxBackoff == 0 {
		maxBackoff = DefaultMaxBackoff
	}
	var errs []error
	if maxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max attempts %d: must be positive", maxAttempts))
	}
	if maxBackoff < 0 {
		errs = append(errs, fmt.Errorf("max backoff %v: must be positive", maxBackoff))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bedrock options: %w", err)
	}

	load := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return newRetryer(maxAttempts, maxBackoff, opts.NoRetryQuota, log) }),
		config.WithLogger(sdkLogger(log)),
	}
	if opts.Region != "" {
		load = append(load, config.WithRegion(opts.Region))
	}
	if opts.Profile != "" {
		load = append(load, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Credentials != nil {
		load = append(load, config.WithCredentialsProvider(opts.Credentials))
	}
	var cfg aws.Config
	if opts.Standalone {
		if opts.Region == "" || opts.Endpoint == "" || opts.Credentials == nil {
			return nil, errors.New("bedrock options: Standalone needs Region, Endpoint and Credentials")
		}
		cfg = aws.Config{
			Region:      opts.Region,
			Credentials: aws.NewCredentialsCache(opts.Credentials),
			Retryer:     func() aws.Retryer { return newRetryer(maxAttempts, maxBackoff, opts.NoRetryQuota, log) },
			Logger:      sdkLogger(log),
		}
	} else {
		var err error
		cfg, err = config.LoadDefaultConfig(ctx, load...)
		if err != nil {
			if opts.Profile != "" {
				return nil, fmt.Errorf("load aws config (profile %q): %w", opts.Profile, err)
			}
			return nil, fmt.Errorf("load aws config: %w", err)
		}
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Credentials != nil {
		cfg.Credentials = taggedCredentials{cfg.Credentials}
	}

	rt := bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		if opts.HTTPClient != nil {
			// Set here rather than in the shared config, which refuses a
			// plain *http.Client when AWS_CA_BUNDLE is set.
			o.HTTPClient = opts.HTTPClient
		}
		if b, ok := o.HTTPClient.(*awshttp.BuildableClient); ok {
			// The SDK keeps 10 idle connections per host: with more calls
			// to Bedrock at once, connections (TLS handshakes) are opened
			// and closed on every call. A gateway serves many agents.
			o.HTTPClient = b.WithTransportOptions(func(t *http.Transport) {
				t.MaxIdleConns = max(t.MaxIdleConns, maxIdleConns)
				t.MaxIdleConnsPerHost = maxIdleConns
				if opts.AttemptTimeout > 0 {
					t.ResponseHeaderTimeout = opts.AttemptTimeout
				}
			})
		}
		maxAnswer := opts.MaxAnswerBytes
		if maxAnswer <= 0 {
			maxAnswer = DefaultMaxAnswerBytes
		}
		o.HTTPClient = bodyGuard{next: o.HTTPClient, maxAnswer: maxAnswer}
		o.Logger = sdkLogger(log)
		o.APIOptions = append(o.APIOptions, noticeRetries(maxAttempts))
		// The SDK would wrap the retryer again for AWS_MAX_ATTEMPTS; the
		// gateway's own setting is the one that counts.
		o.RetryMaxAttempts = maxAttempts
		switch {
		case opts.Credentials != nil || opts.Standalone:
			// Explicit credentials beat a Bedrock API key in the environment.
			o.AuthSchemePreference = []string{"sigv4"}
		case opts.BearerToken != "":
			token := opts.BearerToken
			o.BearerAuthTokenProvider = bearer.TokenProviderFunc(func(context.Context) (bearer.Token, error) {
				return bearer.Token{Value: token}, nil
			})
			o.AuthSchemePreference = []string{"httpBearerAuth"}
		}
	})
	log.Debug("bedrock client ready", logKeyRegion, cfg.Region, logKeyEndpoint, opts.Endpoint)
	return &Client{rt: rt, lean: newLean(ctx, rt, log), region: cfg.Region, log: log}, nil
}

// Region is the AWS region the client calls.
func (c *Client) Region() string { return c.region }

// Converse sends one call and waits for the whole answer. Failures are
// *gateway.Error values.
func (c *Client) Converse(ctx context.Context, call *gateway.Call) (*gateway.Completion, error) {
	in, err := buildInput(call)
	if err != nil {
		return nil, err
	}
	var out *bedrockruntime.ConverseOutput
	if c.lean != nil {
		out, err = c.lean.converse(ctx, in)
	} else {
		out, err = c.rt.Converse(ctx, in)
	}
	if err != nil {
		return nil, c.fail(ctx, call.ModelID, err)
	}
	comp, known := completion(out)
	if !known {
		c.log.Warn("bedrock: unmapped stop reason, reported as stop",
			logKeyModel, call.ModelID, logKeyStopReason, string(out.StopReason))
	}
	c.logDone(ctx, call.ModelID, comp)
	return comp, nil
}

// fail classifies err and logs it once.
func (c *Client) fail(ctx context.Context, model string, err error) *gateway.Error {
	e := classify(ctx, model, c.region, err)
	c.log.DebugContext(ctx, "bedrock call failed", logKeyModel, model, logKeyKind, string(e.Kind), logKeyErrorCode, errorCode(err))
	return e
}

func (c *Client) logDone(ctx context.Context, model string, comp *gateway.Completion) {
	c.log.DebugContext(ctx, "bedrock call done",
		logKeyModel, model,
		logKeyStopReason, comp.FinishReason,
		logKeyInput, comp.Usage.InputTokens,
		logKeyOutput, comp.Usage.OutputTokens,
		logKeyLatency, comp.Latency)
}
