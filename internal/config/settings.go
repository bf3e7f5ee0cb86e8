package config

import (
	"log/slog"
	"math"
	"time"
)

// setting describes one configurable value: where it is read from, its
// default, its help text and the Config field it fills. Load, Usage and the
// redacted views all walk the same table, so adding a setting is one entry.
type setting struct {
	group  string   // heading in Usage
	envs   []string // variables, in order of preference within a layer
	flag   string   // flag name without dashes; "" for secrets
	def    string   // default, written as it would be in the environment
	arg    string   // placeholder for the value in Usage; booleans have none
	help   string   // one or two sentences: what it does, units, limits
	secret bool     // never echoed in errors, shown as "set" or "unset"
	field  field    // parses into and formats from its Config field
}

// key names the setting in messages and in Redacted: its first variable,
// or its flag if it has none.
func (s *setting) key() string {
	if len(s.envs) > 0 {
		return s.envs[0]
	}
	return "--" + s.flag
}

// settings is the one table of llm-gateway's settings, in Usage order. It is
// read-only after initialisation.
var settings = []setting{
	{
		group: "AWS", envs: []string{"AWS_REGION", "AWS_DEFAULT_REGION"}, flag: "region", def: "us-east-1", arg: "REGION",
		help:  "AWS region where Bedrock is called.",
		field: text(func(c *Config) *string { return &c.Region }, checkRegion),
	},
	{
		group: "AWS", envs: []string{"AWS_ACCESS_KEY_ID"}, secret: true,
		help:  "Access key ID of static credentials; needs AWS_SECRET_ACCESS_KEY. Unset: the SDK's default chain (profile, SSO, instance role).",
		field: text(func(c *Config) *string { return &c.AccessKeyID }, nil),
	},
	{
		group: "AWS", envs: []string{"AWS_SECRET_ACCESS_KEY"}, secret: true,
		help:  "Secret access key of static credentials; needs AWS_ACCESS_KEY_ID.",
		field: text(func(c *Config) *string { return &c.SecretAccessKey }, nil),
	},
	{
		group: "AWS", envs: []string{"AWS_SESSION_TOKEN"}, secret: true,
		help:  "Session token of temporary static credentials.",
		field: text(func(c *Config) *string { return &c.SessionToken }, nil),
	},
	{
		group: "AWS", envs: []string{"AWS_BEARER_TOKEN_BEDROCK"}, secret: true,
		help:  "A Bedrock API key, sent instead of signing with AWS credentials (which win when both are set).",
		field: text(func(c *Config) *string { return &c.BedrockAPIKey }, nil),
	},
	{
		group: "AWS", envs: []string{"AWS_PROFILE"},
		help:  "Shared-config profile to take credentials and settings from.",
		field: text(func(c *Config) *string { return &c.Profile }, nil),
	},
	{
		group: "AWS", envs: []string{"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"}, flag: "bedrock-endpoint", arg: "URL",
		help:  "Bedrock Runtime endpoint, e.g. a VPC endpoint or a simulator. Unset: the SDK's endpoint for the region.",
		field: text(func(c *Config) *string { return &c.BedrockEndpoint }, checkURL),
	},

	{
		group: "Cache", envs: []string{"CACHE_ENABLED"}, flag: "cache-enabled", def: "true",
		help:  "Serve repeated identical requests from the response cache.",
		field: boolean(func(c *Config) *bool { return &c.CacheEnabled }),
	},
	{
		group: "Cache", envs: []string{"CACHE_TTL"}, flag: "cache-ttl", def: "3600", arg: "SECONDS",
		help:  "How long a cached answer is served: whole seconds, or a duration such as 90s or 2h. Positive while the cache is enabled.",
		field: seconds(func(c *Config) *time.Duration { return &c.CacheTTL }, false),
	},
	{
		group: "Cache", envs: []string{"CACHE_MAX_SIZE"}, flag: "cache-max-size", def: "1000", arg: "N",
		help:  "Most answers kept in the cache; the least recently used goes first.",
		field: number(func(c *Config) *int { return &c.CacheMaxSize }, 1, math.MaxInt32),
	},
	{
		group: "Cache", envs: []string{"CACHE_MAX_BYTES"}, flag: "cache-max-bytes", def: "64MiB", arg: "SIZE",
		help:  "Most bytes of answers kept in the cache: bytes, or with a KiB, MiB or GiB suffix.",
		field: size(func(c *Config) *int64 { return &c.CacheMaxBytes }, 1),
	},

	{
		group: "Fleet", envs: []string{"REDIS_URL"}, secret: true,
		help:  "Redis shared by every replica (redis://[user:password@]host:port[/db], rediss:// for TLS): one answer cache and one upstream call per identical request across the fleet. Unset: each process shares only within itself.",
		field: text(func(c *Config) *string { return &c.RedisURL }, checkRedisURL),
	},
	{
		group: "Fleet", envs: []string{"REDIS_CLUSTER"}, flag: "redis-cluster", def: "false",
		help:  "REDIS_URL is a Redis Cluster (more seed nodes as ?addr=host:port&addr=host:port): every key goes under REDIS_PREFIX as one hash tag, so the fleet's keys live in one slot (the cluster gives failover, not more room).",
		field: boolean(func(c *Config) *bool { return &c.RedisCluster }),
	},
	{
		group: "Fleet", envs: []string{"REDIS_PREFIX"}, flag: "redis-prefix", def: "llm-gateway:", arg: "PREFIX",
		help:  "Prefix of every Redis key, so that several gateways can share one Redis.",
		field: text(func(c *Config) *string { return &c.RedisPrefix }, nil),
	},
	{
		group: "Fleet", envs: []string{"REDIS_LOCK_TTL"}, flag: "redis-lock-ttl", def: "10s", arg: "DURATION",
		help:  "How long a replica's claim on an upstream call lasts unless renewed: how soon the others take over from a replica that died mid-call.",
		field: seconds(func(c *Config) *time.Duration { return &c.RedisLockTTL }, false),
	},
	{
		group: "Fleet", envs: []string{"FAIL_MODE"}, flag: "fail-mode", def: "closed", arg: "closed|open",
		help:  "While Redis does not answer: closed refuses calls of agents with a budget (their spend cannot be checked across the fleet); open allows them, counted by each replica alone, and may overshoot. Rate and concurrency limits are counted per replica either way.",
		field: oneOf(func(c *Config) *string { return &c.FailMode }, FailClosed, FailOpen),
	},

	{
		group: "Ledger", envs: []string{"STORE_URL"}, flag: "store", arg: "URL",
		help: "Where the usage ledger (and the answer cache shared by the machine's gateways) lives: sqlite:PATH, postgres://user@host/db, or memory: (nothing kept). " +
			"Unset: SQLite at $XDG_DATA_HOME/llm-gateway/gateway.db, else ~/.local/share/llm-gateway/gateway.db.",
		field: storeURL(func(c *Config) *string { return &c.StoreURL }),
	},
	{
		group: "Ledger", envs: []string{"LEDGER_RETENTION"}, flag: "ledger-retention", def: "90d", arg: "DAYS",
		help:  "How long ledger records are kept: days (90d), or a duration such as 720h; 0 keeps them forever.",
		field: retention(func(c *Config) *time.Duration { return &c.LedgerRetention }),
	},
	{
		group: "Ledger", envs: []string{"LEDGER_REQUIRED"}, flag: "ledger-required", def: "false",
		help:  "Refuse calls while the ledger's store cannot be written, instead of answering and keeping records in memory until it can.",
		field: boolean(func(c *Config) *bool { return &c.LedgerRequired }),
	},

	{
		group: "Metrics and logs", envs: []string{"METRICS_ENABLED"}, flag: "metrics-enabled", def: "true",
		help:  "Count requests, tokens, cost and latency per model for get_stats.",
		field: boolean(func(c *Config) *bool { return &c.MetricsEnabled }),
	},
	{
		group: "Metrics and logs", envs: []string{"METRICS_ADDR"}, flag: "metrics-addr", arg: "HOST:PORT",
		help:  "Also serve Prometheus metrics at /metrics on this address, for any transport (stdio too). Beyond loopback it needs METRICS_TOKEN or ADMIN_KEYS. Unset: only the http transport serves /metrics.",
		field: text(func(c *Config) *string { return &c.MetricsAddr }, optional(checkAddr)),
	},
	{
		group: "Metrics and logs", envs: []string{"METRICS_TOKEN"}, secret: true,
		help:  "Bearer token a scraper sends to read /metrics (an admin key works too); at least 16 characters. Needed when /metrics is reachable from other machines.",
		field: text(func(c *Config) *string { return &c.MetricsToken }, checkToken),
	},
	{
		group: "Metrics and logs", envs: []string{"LOG_LEVEL"}, flag: "log-level", def: "INFO", arg: "LEVEL",
		help:  "Least severe level logged: DEBUG, INFO, WARN (or WARNING) or ERROR, any case. Logs go to standard error.",
		field: level(func(c *Config) *slog.Level { return &c.LogLevel }),
	},
	{
		group: "Metrics and logs", envs: []string{"LOG_FORMAT"}, flag: "log-format", def: LogText, arg: "FORMAT",
		help:  "Log line format: text or json.",
		field: oneOf(func(c *Config) *string { return &c.LogFormat }, LogText, LogJSON),
	},
	{
		group: "Metrics and logs", envs: []string{"LOG_PROMPTS"}, flag: "log-prompts", def: "false",
		help:  "Also log prompts and answers, at DEBUG level. They may hold personal or secret data.",
		field: boolean(func(c *Config) *bool { return &c.LogPrompts }),
	},

	{
		group: "Requests", envs: []string{"REQUEST_TIMEOUT"}, flag: "request-timeout", def: "120s", arg: "SECONDS",
		help:  "Longest a generate call may take, retries included: whole seconds or a duration.",
		field: seconds(func(c *Config) *time.Duration { return &c.RequestTimeout }, true),
	},
	{
		group: "Requests", envs: []string{"MAX_INPUT_BYTES"}, flag: "max-input-bytes", def: "1MiB", arg: "SIZE",
		help:  "Largest total size of a request's messages: bytes, or with a KiB, MiB or GiB suffix.",
		field: size(func(c *Config) *int64 { return &c.MaxInputBytes }, 1),
	},
	{
		group: "Requests", envs: []string{"BEDROCK_MAX_ATTEMPTS"}, flag: "max-attempts", def: "3", arg: "N",
		help:  "Tries per Bedrock call when it is throttled or unavailable, the first included: 1 to 10.",
		field: number(func(c *Config) *int { return &c.MaxAttempts }, 1, 10),
	},
	{
		group: "Requests", envs: []string{"BEDROCK_MAX_BACKOFF"}, flag: "max-backoff", def: "20s", arg: "SECONDS",
		help:  "Longest wait between tries: whole seconds or a duration.",
		field: seconds(func(c *Config) *time.Duration { return &c.MaxBackoff }, true),
	},
	{
		group: "Requests", envs: []string{"BEDROCK_SIMULATOR"}, flag: "simulate", def: "false",
		help:  "Answer from the built-in Bedrock simulator instead of AWS; no credentials needed.",
		field: boolean(func(c *Config) *bool { return &c.Simulate }),
	},
	{
		group: "Requests", envs: []string{"MODELS_FILE"}, flag: "models-file", arg: "PATH",
		help:  "File of models that add to or replace entries of the built-in catalog.",
		field: text(func(c *Config) *string { return &c.ModelsFile }, nil),
	},

	{
		group: "Requests", envs: []string{"FALLBACK_MODELS"}, flag: "fallback-models", arg: "CHAINS",
		help:  "Models to try in order when one is throttled, unavailable, timed out or end-of-life, as model:fallback|fallback,model:fallback; * stands for any model. A request's own fallback_models replace these.",
		field: fallbacks(func(c *Config) *map[string][]string { return &c.FallbackModels }),
	},
	{
		group: "Requests", envs: []string{"GUARDRAIL_ID"}, flag: "guardrail-id", arg: "ID",
		help:  "Bedrock guardrail applied to every request that names none; needs GUARDRAIL_VERSION.",
		field: text(func(c *Config) *string { return &c.GuardrailID }, nil),
	},
	{
		group: "Requests", envs: []string{"GUARDRAIL_VERSION"}, flag: "guardrail-version", arg: "VERSION",
		help:  "Version of GUARDRAIL_ID: a number or DRAFT.",
		field: text(func(c *Config) *string { return &c.GuardrailVersion }, nil),
	},
	{
		group: "Requests", envs: []string{"PROGRESS_INTERVAL"}, flag: "progress-interval", def: "5s", arg: "SECONDS",
		help:  "How often a generate call with an MCP progress token sends a progress notification while it waits, so clients do not give up on a long call.",
		field: seconds(func(c *Config) *time.Duration { return &c.ProgressInterval }, true),
	},

	{
		group: "Server", envs: []string{"MCP_TRANSPORT"}, flag: "transport", def: TransportStdio, arg: "NAME",
		help:  "How agents connect: stdio (one agent, over standard input and output) or http (streamable HTTP on --addr).",
		field: oneOf(func(c *Config) *string { return &c.Transport }, TransportStdio, TransportHTTP),
	},
	{
		group: "Server", envs: []string{"MCP_ADDR"}, flag: "addr", def: "127.0.0.1:8080", arg: "HOST:PORT",
		help:  "Where the http transport listens. Use 0.0.0.0:8080 to accept other machines (then set API keys).",
		field: text(func(c *Config) *string { return &c.Addr }, checkAddr),
	},
	{
		group: "Server", envs: []string{"API_KEYS"}, secret: true,
		help:  "Keys HTTP clients must send, as name:key,name:key; each key at least 16 characters. Unset with API_KEYS_FILE unset: no key needed.",
		field: apiKeys(func(c *Config) *[]APIKey { return &c.APIKeys }),
	},
	{
		group: "Server", envs: []string{"API_KEYS_FILE"}, flag: "api-keys-file", arg: "PATH",
		help:  "File of more keys, one name:key per line; # starts a comment.",
		field: text(func(c *Config) *string { return &c.APIKeysFile }, nil),
	},
	{
		group: "Server", envs: []string{"ALLOW_INSECURE_NO_AUTH"}, flag: "allow-no-auth", def: "false",
		help:  "Serve http on an address other machines can reach with no API keys. Anyone who reaches the port can then call Bedrock on your account.",
		field: boolean(func(c *Config) *bool { return &c.AllowNoAuth }),
	},
	{
		group: "Server", envs: []string{"ALLOWED_ORIGINS"}, flag: "allowed-origins", arg: "ORIGINS",
		help:  "Browser origins allowed to call the http transport besides localhost ones, comma-separated, e.g. https://app.example.com. Clients that send no Origin header (agents, SDKs, curl) are not affected.",
		field: origins(func(c *Config) *[]string { return &c.AllowedOrigins }),
	},
	{
		group: "Server", envs: []string{"MCP_STATELESS"}, flag: "stateless", def: "false",
		help:  "Serve streamable HTTP without sessions: each POST stands alone, GET gets 405 and the server cannot call back to the client.",
		field: boolean(func(c *Config) *bool { return &c.Stateless }),
	},
	{
		group: "Server", envs: []string{"SHUTDOWN_GRACE"}, flag: "shutdown-grace", def: "25s", arg: "SECONDS",
		help:  "On SIGTERM or SIGINT, how long calls in flight may finish before they are cancelled: whole seconds or a duration. Keep it below the time your supervisor waits before killing (docker stop: 10s unless -t; Kubernetes: 30s).",
		field: seconds(func(c *Config) *time.Duration { return &c.ShutdownGrace }, true),
	},

	{
		group: "Limits", envs: []string{"MAX_MESSAGE_BYTES"}, flag: "max-message-bytes", def: "4MiB", arg: "SIZE",
		help:  "Largest incoming MCP message: a line on stdio, a request body over HTTP; larger ones are refused. Raised as needed to fit a request of MAX_INPUT_BYTES (twice that plus 64KiB, for JSON escaping).",
		field: size(func(c *Config) *int64 { return &c.MaxMessageBytes }, 1<<10),
	},
	{
		group: "Governance", envs: []string{"POLICY_FILE"}, flag: "policy", arg: "PATH",
		help:  "YAML file of per-agent model allow-lists, rate, token and concurrency limits and dollar budgets (README: Governance). Reloaded on SIGHUP and when it changes. Unset: nothing is limited.",
		field: text(func(c *Config) *string { return &c.PolicyFile }, nil),
	},
	{
		group: "Governance", envs: []string{"AGENT_NAME"}, flag: "agent-name", arg: "NAME",
		help:  "Name of the agent a stdio gateway serves, for its limits, budget and stats. Unset: the MCP client's clientInfo.name, else default.",
		field: text(func(c *Config) *string { return &c.AgentName }, nil),
	},
	{
		group: "Governance", envs: []string{"ADMIN_KEYS"}, secret: true,
		help:  "Keys, as name:key,name:key, that authenticate like API_KEYS and also see every agent's usage and limits in get_stats, and open /metrics and the dashboard (/ui/); other keys see only their own.",
		field: apiKeys(func(c *Config) *[]APIKey { return &c.AdminKeys }),
	},

	{
		group: "Limits", envs: []string{"MAX_SESSIONS"}, flag: "max-sessions", def: "1000", arg: "N",
		help:  "Most MCP sessions open at once over HTTP (Streamable HTTP and SSE); one more is refused with 503 and Retry-After.",
		field: number(func(c *Config) *int { return &c.MaxSessions }, 1, math.MaxInt32),
	},
	{
		group: "Limits", envs: []string{"MAX_SESSIONS_PER_KEY"}, flag: "max-sessions-per-key", def: "100", arg: "N",
		help:  "Most MCP sessions one API key holds over HTTP (with no keys, only MAX_SESSIONS applies); one more is refused with 429 and Retry-After.",
		field: number(func(c *Config) *int { return &c.MaxSessionsPerKey }, 1, math.MaxInt32),
	},
	{
		group: "Limits", envs: []string{"SESSION_IDLE_TIMEOUT"}, flag: "session-idle-timeout", def: "1h", arg: "SECONDS",
		help:  "An HTTP MCP session with no request for this long is closed; its client must initialize again. Whole seconds or a duration.",
		field: seconds(func(c *Config) *time.Duration { return &c.SessionIdleTimeout }, true),
	},

	{
		group: "Limits", envs: []string{"MAX_ANSWER_BYTES"}, flag: "max-answer-bytes", def: "16MiB", arg: "SIZE",
		help:  "Largest answer read from Bedrock (a whole stream included); past it the call fails with model_error and is not retried.",
		field: size(func(c *Config) *int64 { return &c.MaxAnswerBytes }, 1<<10),
	},
	{
		group: "Limits", envs: []string{"BEDROCK_ATTEMPT_TIMEOUT"}, flag: "attempt-timeout", def: "60s", arg: "SECONDS",
		help:  "Longest one attempt waits for Bedrock to start answering, so a hung attempt is retried within REQUEST_TIMEOUT. A non-streaming call starts answering only when its whole answer is ready: raise it for long answers.",
		field: seconds(func(c *Config) *time.Duration { return &c.AttemptTimeout }, true),
	},
	{
		group: "Limits", envs: []string{"BEDROCK_RETRY_QUOTA"}, flag: "retry-quota", def: "true",
		help:  "Keep the AWS SDK's client-wide retry quota: after a burst of failures calls get one attempt, whatever BEDROCK_MAX_ATTEMPTS says, until calls succeed again. false gives every call all its attempts, loading a struggling Bedrock more.",
		field: boolean(func(c *Config) *bool { return &c.RetryQuota }),
	},

	{
		group: "Limits", envs: []string{"MAX_CONCURRENT_CALLS"}, flag: "max-concurrent-calls", def: "512", arg: "N",
		help:  "Most requests served at once (HTTP: requests with a body; stdio: calls in flight); one more is refused at once: 503 with Retry-After, or a JSON-RPC error over stdio.",
		field: number(func(c *Config) *int { return &c.MaxConcurrent }, 1, math.MaxInt32),
	},
	{
		group: "Limits", envs: []string{"MAX_CONCURRENT_CALLS_PER_KEY"}, flag: "max-concurrent-calls-per-key", def: "128", arg: "N",
		help:  "Most HTTP requests one API key has in flight; one more gets 429 with Retry-After. With no keys, only MAX_CONCURRENT_CALLS applies.",
		field: number(func(c *Config) *int { return &c.MaxConcurrentPerKey }, 1, math.MaxInt32),
	},
	{
		group: "Limits", envs: []string{"MAX_BYTES_IN_FLIGHT"}, flag: "max-bytes-in-flight", def: "64MiB", arg: "SIZE",
		help:  "Most bytes of HTTP request bodies being served at once; one more request gets 503 with Retry-After (a single body always passes).",
		field: size(func(c *Config) *int64 { return &c.MaxBytesInFlight }, 1<<10),
	},

	{
		group: "Limits", envs: []string{"AUTH_BACKOFF_AFTER"}, flag: "auth-backoff-after", def: "5", arg: "N",
		help:  "Failed key checks over HTTP (a missing or wrong API key or admin key) one address may make before it must wait: 429 with Retry-After, its keys unchecked, 1s after the Nth failure and twice as long after each further one, up to AUTH_BACKOFF_MAX; a success resets it. 0: no backoff (behind a reverse proxy every client has the proxy's address).",
		field: number(func(c *Config) *int { return &c.AuthBackoffAfter }, 0, math.MaxInt32),
	},
	{
		group: "Limits", envs: []string{"AUTH_BACKOFF_MAX"}, flag: "auth-backoff-max", def: "5m", arg: "SECONDS",
		help:  "Longest wait AUTH_BACKOFF_AFTER imposes: whole seconds or a duration.",
		field: seconds(func(c *Config) *time.Duration { return &c.AuthBackoffMax }, true),
	},

	{
		group: "Other", flag: "version", def: "false",
		help:  "Print the version and exit.",
		field: boolean(func(c *Config) *bool { return &c.Version }),
	},
}
