// Package config turns the command line, the environment and a .env file
// into one validated Config for llm-gateway.
//
// Every setting is described once, in a table (settings.go), from which both
// Load and Usage work, so the help text cannot drift from what is parsed.
// A setting is taken from its flag if given, else from the real environment,
// else from the .env file in the working directory, else from its default.
// Load reports every problem at once, each naming the flag or variable at
// fault and what it accepts; the values of secrets never appear in errors or
// in the redacted views (Redacted, String, LogValue).
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrHelp is returned by Load when -h or --help was given. Load writes
// nothing; the caller prints Usage and exits successfully.
var ErrHelp = flag.ErrHelp

// Transports the MCP server can speak.
const (
	TransportStdio = "stdio" // one agent over stdin/stdout
	TransportHTTP  = "http"  // streamable HTTP on Config.Addr
)

// FAIL_MODE values.
const (
	FailClosed = "closed"
	FailOpen   = "open"
)

// Log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

// Config is every setting of llm-gateway, parsed and validated. Get one from
// Load; the comment on each field names its variable, flag and default.
//
// Printing a Config with fmt or slog shows secrets as "set" or "unset".
type Config struct {
	// Region is the AWS region of Bedrock Runtime.
	// AWS_REGION (or AWS_DEFAULT_REGION), --region; default "us-east-1".
	Region string
	// Static credentials. Secrets: environment or .env only, never flags.
	// They are kept here so that values from .env reach the AWS SDK; when
	// AccessKeyID and SecretAccessKey are both set, use them (with
	// SessionToken) as static credentials. Load rejects one without the other.
	AccessKeyID     string // AWS_ACCESS_KEY_ID
	SecretAccessKey string // AWS_SECRET_ACCESS_KEY
	SessionToken    string // AWS_SESSION_TOKEN
	// BedrockAPIKey is a Bedrock API key (bearer token), kept here so that
	// one from .env reaches the SDK. AWS_BEARER_TOKEN_BEDROCK; secret.
	BedrockAPIKey string
	// Profile names a shared-config profile. AWS_PROFILE; no flag.
	Profile string
	// BedrockEndpoint overrides the Bedrock Runtime endpoint (a simulator, a
	// VPC endpoint). AWS_ENDPOINT_URL_BEDROCK_RUNTIME (or AWS_ENDPOINT_URL),
	// --bedrock-endpoint; default "", the SDK's own endpoint for Region.
	BedrockEndpoint string

	// CacheEnabled turns the response cache on. CACHE_ENABLED,
	// --cache-enabled; default true.
	CacheEnabled bool
	// CacheTTL is how long a cached answer is served. CACHE_TTL, --cache-ttl;
	// whole seconds or a Go duration; default 3600s. Positive while the cache
	// is enabled.
	CacheTTL time.Duration
	// CacheMaxSize bounds the number of cached answers. CACHE_MAX_SIZE,
	// --cache-max-size; default 1000; at least 1.
	CacheMaxSize int
	// CacheMaxBytes bounds the total size of cached answers, in bytes.
	// CACHE_MAX_BYTES, --cache-max-bytes; default 64 MiB; at least 1.
	CacheMaxBytes int64

	// RedisURL, when set, shares the answer cache and upstream calls across
	// replicas. REDIS_URL (a secret: it may hold a password); default unset.
	RedisURL string
	// RedisCluster says RedisURL names a Redis Cluster. REDIS_CLUSTER,
	// --redis-cluster; default false.
	RedisCluster bool
	// RedisPrefix starts every Redis key. REDIS_PREFIX, --redis-prefix;
	// default "llm-gateway:".
	RedisPrefix string
	// RedisLockTTL is how long a replica's claim on a call lasts unless
	// renewed. REDIS_LOCK_TTL, --redis-lock-ttl; default 10s.
	RedisLockTTL time.Duration
	// FailMode says what budgets do while Redis does not answer: FailClosed
	// refuses, FailOpen allows. FAIL_MODE, --fail-mode; default closed.
	FailMode string
	// StoreURL is where the usage ledger lives: "sqlite:PATH",
	// "postgres://…" or "memory:". STORE_URL, --store; default "", SQLite
	// in the platform's data directory (chosen by the caller).
	StoreURL string
	// LedgerRetention is how long ledger records are kept; zero keeps them
	// forever. LEDGER_RETENTION, --ledger-retention; default 90 days.
	LedgerRetention time.Duration
	// LedgerRequired refuses calls while the ledger cannot be written.
	// LEDGER_REQUIRED, --ledger-required; default false.
	LedgerRequired bool

	// MetricsEnabled turns usage metrics on. METRICS_ENABLED,
	// --metrics-enabled; default true.
	MetricsEnabled bool

	// MetricsAddr is where /metrics is also served, host:port, whatever the
	// transport. METRICS_ADDR, --metrics-addr; default "", none.
	MetricsAddr string
	// MetricsToken is a bearer token that reads /metrics. METRICS_TOKEN
	// (secret, no flag); default "", none.
	MetricsToken string

	// LogLevel is the least severe level logged. LOG_LEVEL, --log-level;
	// default INFO.
	LogLevel slog.Level
	// LogFormat is LogText or LogJSON. LOG_FORMAT, --log-format; default text.
	LogFormat string
	// LogPrompts logs prompts and answers at debug level. LOG_PROMPTS,
	// --log-prompts; default false.
	LogPrompts bool

	// RequestTimeout bounds one generate call, retries included.
	// REQUEST_TIMEOUT, --request-timeout; default 120s; positive.
	RequestTimeout time.Duration
	// MaxInputBytes bounds the total size of a request's messages, in bytes.
	// MAX_INPUT_BYTES, --max-input-bytes; default 1 MiB; at least 1.
	MaxInputBytes int64
	// MaxAttempts is how many times a Bedrock call is tried, the first
	// included. BEDROCK_MAX_ATTEMPTS, --max-attempts; default 3; 1 to 10.
	MaxAttempts int
	// MaxBackoff caps the wait between attempts. BEDROCK_MAX_BACKOFF,
	// --max-backoff; default 20s; positive.
	MaxBackoff time.Duration
	// Simulate answers from the built-in Bedrock simulator instead of AWS.
	// BEDROCK_SIMULATOR, --simulate; default false.
	Simulate bool
	// ModelsFile adds to or overrides the built-in model catalog.
	// MODELS_FILE, --models-file; default "", none. A relative path is
	// resolved against the directory given to Load; Load checks the file
	// exists but leaves its contents to the catalog.
	ModelsFile string

	// FallbackModels maps a catalog model name ("*" for any) to the models
	// tried after it fails. FALLBACK_MODELS, --fallback-models; default none.
	FallbackModels map[string][]string
	// GuardrailID and GuardrailVersion name a Bedrock guardrail applied to
	// every request that names none. GUARDRAIL_ID, GUARDRAIL_VERSION; both or
	// neither.
	GuardrailID      string
	GuardrailVersion string
	// ProgressInterval is how often a generate call with a progress token
	// reports progress while it waits. PROGRESS_INTERVAL,
	// --progress-interval; default 5s.
	ProgressInterval time.Duration

	// Transport is TransportStdio or TransportHTTP. MCP_TRANSPORT,
	// --transport; default stdio.
	Transport string
	// Addr is where the HTTP transport listens, host:port. MCP_ADDR, --addr;
	// default "127.0.0.1:8080".
	Addr string
	// APIKeys are the keys HTTP clients may present, from API_KEYS
	// ("name:key,name:key"; secret, no flag) followed by those in
	// APIKeysFile. Empty means no key is asked for.
	APIKeys []APIKey
	// APIKeysFile holds more keys, one name:key per line, # comments.
	// API_KEYS_FILE, --api-keys-file; default "", none. Read by Load; a
	// relative path is resolved against the directory given to Load.
	APIKeysFile string
	// AllowNoAuth lets the http transport listen beyond loopback with no
	// API keys. ALLOW_INSECURE_NO_AUTH, --allow-no-auth; default false.
	AllowNoAuth bool
	// AllowedOrigins are browser origins (scheme://host[:port]) the http
	// transport accepts besides localhost ones. ALLOWED_ORIGINS,
	// --allowed-origins, comma-separated; default none.
	AllowedOrigins []string
	// Stateless serves streamable HTTP without sessions. MCP_STATELESS,
	// --stateless; default false.
	Stateless bool
	// ShutdownGrace is how long calls in flight may finish after SIGTERM or
	// SIGINT. SHUTDOWN_GRACE, --shutdown-grace; default 25s; positive.
	ShutdownGrace time.Duration

	// MaxMessageBytes bounds one incoming MCP message (a stdio line, an
	// HTTP body); see MessageLimit. MAX_MESSAGE_BYTES, --max-message-bytes;
	// default 4 MiB; at least 1 KiB.
	MaxMessageBytes int64

	// PolicyFile is the governance policy: model allow-lists, limits and
	// budgets per agent (README, Governance). POLICY_FILE, --policy;
	// default "", nothing limited. A relative path is resolved against the
	// directory given to Load; Load checks it exists, the policy package
	// reads it.
	PolicyFile string
	// AgentName names the agent of a stdio gateway for limits, budgets and
	// stats. AGENT_NAME, --agent-name; default "": the MCP client's
	// clientInfo.name, else "default".
	AgentName string
	// AdminKeys are keys, like APIKeys, whose holders see every agent's
	// figures in get_stats, and open /metrics. ADMIN_KEYS (secret, no
	// flag); default none.
	AdminKeys []APIKey

	// MaxSessions and MaxSessionsPerKey cap the HTTP MCP sessions open, in
	// total and per API key. MAX_SESSIONS (default 1000),
	// MAX_SESSIONS_PER_KEY (default 100).
	MaxSessions       int
	MaxSessionsPerKey int
	// SessionIdleTimeout closes an HTTP MCP session idle this long.
	// SESSION_IDLE_TIMEOUT; default 1h.
	SessionIdleTimeout time.Duration

	// MaxAnswerBytes bounds one answer read from Bedrock. MAX_ANSWER_BYTES;
	// default 16 MiB.
	MaxAnswerBytes int64
	// AttemptTimeout bounds how long one Bedrock attempt waits for the
	// answer to start. BEDROCK_ATTEMPT_TIMEOUT; default 60s.
	AttemptTimeout time.Duration
	// RetryQuota keeps the AWS SDK's client-wide retry quota.
	// BEDROCK_RETRY_QUOTA; default true.
	RetryQuota bool

	// MaxConcurrent, MaxConcurrentPerKey and MaxBytesInFlight cap the
	// requests served at once, in total, per API key and by body bytes.
	// MAX_CONCURRENT_CALLS (512), MAX_CONCURRENT_CALLS_PER_KEY (128),
	// MAX_BYTES_IN_FLIGHT (64 MiB).
	MaxConcurrent       int
	MaxConcurrentPerKey int
	MaxBytesInFlight    int64

	// AuthBackoffAfter is how many failed key checks over HTTP one address
	// may make before it must wait; 0 turns the backoff off.
	// AUTH_BACKOFF_AFTER; default 5.
	AuthBackoffAfter int
	// AuthBackoffMax caps that wait. AUTH_BACKOFF_MAX; default 5m.
	AuthBackoffMax time.Duration

	// Version is true when --version was given. Load then returns at once
	// with every other field zero and no validation, so that printing the
	// version never fails on a bad setting.
	Version bool

	// EnvFile is the path of the .env file that was read, or "" if there
	// was none.
	EnvFile string
}

// APIKey is one key a client of the HTTP transport may present.
type APIKey struct {
	Name string // who holds it, for logs and metrics
	Key  string // secret
}

// String names the key's holder and hides the key.
func (k APIKey) String() string { return k.Name + ":[redacted]" }

// HasStaticCredentials reports whether both an access key ID and a secret
// were given, so the caller should use them rather than the SDK's chain.
func (c *Config) HasStaticCredentials() bool {
	return c.AccessKeyID != "" && c.SecretAccessKey != ""
}

// Load parses args (without the program name), the environment read through
// getenv (nil reads nothing), and the .env file in dir (the working
// directory; "" means "."), if there is one.
//
// For each setting the flag wins, then the real environment, then .env, then
// the default. Where a setting has two variables (AWS_REGION and
// AWS_DEFAULT_REGION) the first wins within each of those layers. An empty
// variable counts as unset; an empty flag (--bedrock-endpoint=) counts as
// given. Values are trimmed of surrounding spaces.
//
// A malformed command line (an unknown flag, a stray argument) is reported
// alone; otherwise every problem with the .env file and every setting is
// reported at once, joined with errors.Join. With -h or --help Load returns
// ErrHelp; with --version it returns a Config with only Version set.
func Load(args []string, getenv func(string) string, dir string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	flags, err := parseFlags(args)
	if err != nil {
		return nil, err
	}
	if v, ok := flags["version"]; ok {
		if on, err := parseBool(v); err != nil {
			return nil, fmt.Errorf("--version=%s: %w", quoteIfNeeded(v), err)
		} else if on {
			return &Config{Version: true}, nil
		}
	}

	var errs []error
	envPath := filepath.Join(dir, ".env")
	dotenv, found, err := readDotEnv(envPath)
	if err != nil {
		errs = append(errs, err)
	}
	c := &Config{}
	if found {
		c.EnvFile = envPath
	}

	l := loader{flags: flags, getenv: getenv, dotenv: dotenv, from: make(map[string]origin), bad: make(map[string]bool)}
	for i := range settings {
		s := &settings[i]
		o := l.lookup(s)
		l.from[s.key()] = o
		for _, err := range unjoin(s.field.set(c, o.value)) {
			errs = append(errs, o.errorf("%w", err))
			l.bad[s.key()] = true
		}
	}
	errs = append(errs, l.check(c, dir)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// parseFlags reads the command line into raw values by flag name, checking
// only its syntax: values are parsed with the other sources, so that a bad
// flag value is reported with every other problem.
func parseFlags(args []string) (map[string]string, error) {
	fs := flag.NewFlagSet("llm-gateway", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	raw := make(map[string]string)
	for i := range settings {
		s := &settings[i]
		if s.flag == "" {
			continue
		}
		fs.Var(&rawFlag{name: s.flag, raw: raw, boolean: s.field.isBool()}, s.flag, s.help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, ErrHelp
		}
		return nil, fmt.Errorf("%w (run llm-gateway --help for the list of settings)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: llm-gateway takes only flags (run llm-gateway --help)", fs.Arg(0))
	}
	return raw, nil
}

// rawFlag records a flag's text as given; it never fails, so that flag
// values are validated together with the environment.
type rawFlag struct {
	name    string
	raw     map[string]string
	boolean bool
}

func (f *rawFlag) String() string     { return "" }
func (f *rawFlag) IsBoolFlag() bool   { return f.boolean }
func (f *rawFlag) Set(s string) error { f.raw[f.name] = s; return nil }

// Where a value came from.
type layer int

const (
	fromDefault layer = iota
	fromDotEnv
	fromEnv
	fromFlag
)

// origin is a setting's raw value and where it was found, for messages.
type origin struct {
	name   string // "--cache-ttl" or "CACHE_TTL"
	value  string
	layer  layer
	secret bool
}

// String names the source and, unless it is a secret, the value:
// `CACHE_TTL=abc`, `--cache-ttl=abc`, `CACHE_TTL=abc (from .env)`,
// `AWS_SECRET_ACCESS_KEY`.
func (o origin) String() string {
	s := o.name
	if !o.secret {
		s += "=" + quoteIfNeeded(o.value)
	}
	switch o.layer {
	case fromDotEnv:
		s += " (from .env)"
	case fromDefault:
		s += " (default)"
	}
	return s
}

// errorf prefixes a problem with the source of the value at fault.
func (o origin) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{o}, args...)...)
}

// loader finds each setting's raw value in the layers, and remembers where
// it found it for the checks that span settings.
type loader struct {
	flags  map[string]string
	getenv func(string) string
	dotenv map[string]string
	from   map[string]origin // by setting key
	bad    map[string]bool   // settings that did not parse, by key
}

func (l *loader) lookup(s *setting) origin {
	if v, ok := l.flags[s.flag]; ok && s.flag != "" {
		return origin{name: "--" + s.flag, value: strings.TrimSpace(v), layer: fromFlag, secret: s.secret}
	}
	for _, e := range s.envs {
		if v := strings.TrimSpace(l.getenv(e)); v != "" {
			return origin{name: e, value: v, layer: fromEnv, secret: s.secret}
		}
	}
	for _, e := range s.envs {
		if v := strings.TrimSpace(l.dotenv[e]); v != "" {
			return origin{name: e, value: v, layer: fromDotEnv, secret: s.secret}
		}
	}
	return origin{name: s.key(), value: s.def, layer: fromDefault, secret: s.secret}
}

// quoteIfNeeded leaves plain words alone so messages read
// "CACHE_TTL=abc", and quotes anything empty, spaced or odd.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"'\\") || strconv.Quote(s) != `"`+s+`"` {
		return strconv.Quote(s)
	}
	return s
}

// MessageLimit is the largest incoming MCP message: MaxMessageBytes, or
// more if a request of MaxInputBytes needs it once JSON escaping has
// doubled its size.
func (c *Config) MessageLimit() int64 {
	return max(c.MaxMessageBytes, 2*c.MaxInputBytes+64<<10)
}
