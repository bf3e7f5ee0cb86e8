package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// mapEnv is a getenv over a map.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// defaults is the Config that Load gives with nothing set.
func defaults() Config {
	return Config{
		Region:              "us-east-1",
		CacheEnabled:        true,
		CacheTTL:            time.Hour,
		CacheMaxSize:        1000,
		CacheMaxBytes:       64 << 20,
		RedisPrefix:         "llm-gateway:",
		RedisLockTTL:        10 * time.Second,
		FailMode:            "closed",
		MetricsEnabled:      true,
		LedgerRetention:     90 * 24 * time.Hour,
		LogLevel:            slog.LevelInfo,
		LogFormat:           LogText,
		RequestTimeout:      120 * time.Second,
		MaxInputBytes:       1 << 20,
		MaxAttempts:         3,
		MaxBackoff:          20 * time.Second,
		ProgressInterval:    5 * time.Second,
		Transport:           TransportStdio,
		Addr:                "127.0.0.1:8080",
		ShutdownGrace:       25 * time.Second,
		MaxMessageBytes:     4 << 20,
		MaxSessions:         1000,
		MaxSessionsPerKey:   100,
		SessionIdleTimeout:  time.Hour,
		MaxAnswerBytes:      16 << 20,
		AttemptTimeout:      time.Minute,
		RetryQuota:          true,
		MaxConcurrent:       512,
		MaxConcurrentPerKey: 128,
		MaxBytesInFlight:    64 << 20,
		AuthBackoffAfter:    5,
		AuthBackoffMax:      5 * time.Minute,
	}
}

const (
	keyA = "aaaaaaaaaaaaaaaaaaaaaaaa"
	keyB = "bbbbbbbbbbbbbbbbbbbbbbbb"
	keyC = "cccccccccccccccccccccccc"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		dotenv string            // contents of .env; none if empty
		files  map[string]string // more files in the directory
		want   func(c *Config, dir string)
	}{
		{name: "defaults", want: func(*Config, string) {}},
		{
			name: "environment over default",
			env:  map[string]string{"CACHE_TTL": "60", "LOG_LEVEL": "debug", "MCP_TRANSPORT": "HTTP", "MCP_ADDR": ":9090"},
			want: func(c *Config, _ string) {
				c.CacheTTL = time.Minute
				c.LogLevel = slog.LevelDebug
				c.Transport = TransportHTTP
				c.Addr = ":9090"
			},
		},
		{
			name:   ".env over default",
			dotenv: "CACHE_TTL=120\nLOG_FORMAT=json\n",
			want: func(c *Config, _ string) {
				c.CacheTTL = 2 * time.Minute
				c.LogFormat = LogJSON
			},
		},
		{
			name:   "environment over .env",
			env:    map[string]string{"CACHE_TTL": "60"},
			dotenv: "CACHE_TTL=120\nCACHE_MAX_SIZE=5\n",
			want: func(c *Config, _ string) {
				c.CacheTTL = time.Minute
				c.CacheMaxSize = 5
			},
		},
		{
			name:   "flag over environment and .env",
			args:   []string{"--cache-ttl", "30", "-region=eu-west-3"},
			env:    map[string]string{"CACHE_TTL": "60", "AWS_REGION": "us-west-2"},
			dotenv: "CACHE_TTL=120\nAWS_REGION=ap-south-1\n",
			want: func(c *Config, _ string) {
				c.CacheTTL = 30 * time.Second
				c.Region = "eu-west-3"
			},
		},
		{
			name:   "empty variable is unset",
			env:    map[string]string{"CACHE_MAX_SIZE": ""},
			dotenv: "CACHE_MAX_SIZE=7\n",
			want:   func(c *Config, _ string) { c.CacheMaxSize = 7 },
		},
		{
			name: "empty flag counts as given",
			args: []string{"--bedrock-endpoint="},
			env:  map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
			want: func(*Config, string) {},
		},
		{
			name: "AWS_DEFAULT_REGION when AWS_REGION is unset",
			env:  map[string]string{"AWS_DEFAULT_REGION": "eu-central-1"},
			want: func(c *Config, _ string) { c.Region = "eu-central-1" },
		},
		{
			name: "AWS_REGION over AWS_DEFAULT_REGION",
			env:  map[string]string{"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-central-1"},
			want: func(c *Config, _ string) { c.Region = "us-west-2" },
		},
		{
			name:   "environment's AWS_DEFAULT_REGION over .env's AWS_REGION",
			env:    map[string]string{"AWS_DEFAULT_REGION": "eu-central-1"},
			dotenv: "AWS_REGION=us-west-2\n",
			want:   func(c *Config, _ string) { c.Region = "eu-central-1" },
		},
		{
			name: "service endpoint over general endpoint",
			env: map[string]string{
				"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "https://vpce.example.com",
				"AWS_ENDPOINT_URL":                 "http://127.0.0.1:4566",
			},
			want: func(c *Config, _ string) { c.BedrockEndpoint = "https://vpce.example.com" },
		},
		{
			name: "general endpoint",
			env:  map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
			want: func(c *Config, _ string) { c.BedrockEndpoint = "http://127.0.0.1:4566" },
		},
		{
			name: "boolean spellings",
			args: []string{"--simulate", "--metrics-enabled=no", "--log-prompts=ON"},
			env:  map[string]string{"CACHE_ENABLED": "Off", "LOG_PROMPTS": "false"},
			want: func(c *Config, _ string) {
				c.Simulate = true
				c.MetricsEnabled = false
				c.LogPrompts = true
				c.CacheEnabled = false
			},
		},
		{
			name: "durations and sizes",
			env: map[string]string{
				"CACHE_TTL": "1h30m", "REQUEST_TIMEOUT": "45", "BEDROCK_MAX_BACKOFF": "1500ms",
				"CACHE_MAX_BYTES": "512KiB", "MAX_INPUT_BYTES": "1000",
			},
			args: []string{"--max-attempts", "10"},
			want: func(c *Config, _ string) {
				c.CacheTTL = 90 * time.Minute
				c.RequestTimeout = 45 * time.Second
				c.MaxBackoff = 1500 * time.Millisecond
				c.CacheMaxBytes = 512 << 10
				c.MaxInputBytes = 1000
				c.MaxAttempts = 10
			},
		},
		{
			name: "zero TTL with the cache off",
			env:  map[string]string{"CACHE_ENABLED": "0", "CACHE_TTL": "0"},
			want: func(c *Config, _ string) {
				c.CacheEnabled = false
				c.CacheTTL = 0
			},
		},
		{
			name:   "credentials from .env",
			dotenv: "export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nAWS_SECRET_ACCESS_KEY='s3cr3t/with+chars'\nAWS_SESSION_TOKEN=\"tok\"\nAWS_PROFILE=dev\n",
			want: func(c *Config, _ string) {
				c.AccessKeyID = "AKIAEXAMPLE"
				c.SecretAccessKey = "s3cr3t/with+chars"
				c.SessionToken = "tok"
				c.Profile = "dev"
			},
		},
		{
			name:  "API keys from the environment and a file",
			args:  []string{"--api-keys-file", "keys.txt"},
			env:   map[string]string{"API_KEYS": "alice:" + keyA + ", bob:" + keyB + ","},
			files: map[string]string{"keys.txt": "# team keys\n\nci:" + keyC + "\n"},
			want: func(c *Config, dir string) {
				c.APIKeys = []APIKey{{"alice", keyA}, {"bob", keyB}, {"ci", keyC}}
				c.APIKeysFile = filepath.Join(dir, "keys.txt")
			},
		},
		{
			name:  "models file resolved against the directory",
			env:   map[string]string{"MODELS_FILE": "models.json"},
			files: map[string]string{"models.json": "{}"},
			want:  func(c *Config, dir string) { c.ModelsFile = filepath.Join(dir, "models.json") },
		},
		{
			name: "values are trimmed",
			env:  map[string]string{"AWS_REGION": " us-east-2 ", "CACHE_MAX_SIZE": "10\n"},
			want: func(c *Config, _ string) {
				c.Region = "us-east-2"
				c.CacheMaxSize = 10
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.dotenv != "" {
				writeFile(t, dir, ".env", tt.dotenv)
			}
			for name, content := range tt.files {
				writeFile(t, dir, name, content)
			}
			got, err := Load(tt.args, mapEnv(tt.env), dir)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := defaults()
			if tt.dotenv != "" {
				want.EnvFile = filepath.Join(dir, ".env")
			}
			tt.want(&want, dir)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadNilGetenv(t *testing.T) {
	got, err := Load(nil, nil, t.TempDir())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := defaults(); !cmp.Equal(&want, got) {
		t.Errorf("Load(nil getenv) = %v, want defaults", got)
	}
}

// TestLoadErrors checks each bad value alone gives exactly the messages
// listed, which name the source and what is allowed.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		dotenv string
		want   []string // every line of the joined error, in order
	}{
		{
			name: "ttl not a number",
			env:  map[string]string{"CACHE_TTL": "abc"},
			want: []string{"CACHE_TTL=abc: want a whole number of seconds, e.g. 3600, or a duration such as 90s or 1h30m"},
		},
		{
			name: "ttl zero with the cache on",
			env:  map[string]string{"CACHE_TTL": "0"},
			want: []string{"CACHE_TTL=0: must be positive while the cache is enabled, e.g. 3600 (or set CACHE_ENABLED=false)"},
		},
		{
			name: "ttl negative",
			args: []string{"--cache-ttl=-5s"},
			want: []string{"--cache-ttl=-5s: must not be negative"},
		},
		{
			name:   "bad value in .env",
			dotenv: "CACHE_MAX_SIZE=0\n",
			want:   []string{"CACHE_MAX_SIZE=0 (from .env): want a whole number, at least 1"},
		},
		{
			name: "boolean",
			env:  map[string]string{"CACHE_ENABLED": "maybe"},
			want: []string{"CACHE_ENABLED=maybe: want true or false (or 1/0, yes/no, on/off)"},
		},
		{
			name: "bare boolean flag with a bad value",
			args: []string{"--simulate=sometimes"},
			want: []string{"--simulate=sometimes: want true or false (or 1/0, yes/no, on/off)"},
		},
		{
			name: "attempts out of range",
			env:  map[string]string{"BEDROCK_MAX_ATTEMPTS": "11"},
			want: []string{"BEDROCK_MAX_ATTEMPTS=11: want a whole number from 1 to 10"},
		},
		{
			name: "size with a decimal unit",
			env:  map[string]string{"CACHE_MAX_BYTES": "64MB"},
			want: []string{"CACHE_MAX_BYTES=64MB: want a number of bytes, e.g. 1048576, or one with a KiB, MiB or GiB suffix, e.g. 64MiB"},
		},
		{
			name: "size too large",
			env:  map[string]string{"MAX_INPUT_BYTES": "9999999999999GiB"},
			want: []string{"MAX_INPUT_BYTES=9999999999999GiB: too large"},
		},
		{
			name: "zero timeout",
			env:  map[string]string{"REQUEST_TIMEOUT": "0"},
			want: []string{"REQUEST_TIMEOUT=0: must be positive, e.g. 30 or 30s"},
		},
		{
			name: "level",
			env:  map[string]string{"LOG_LEVEL": "verbose"},
			want: []string{"LOG_LEVEL=verbose: want DEBUG, INFO, WARN or ERROR"},
		},
		{
			name: "format",
			env:  map[string]string{"LOG_FORMAT": "xml"},
			want: []string{"LOG_FORMAT=xml: want text or json"},
		},
		{
			name: "transport",
			env:  map[string]string{"MCP_TRANSPORT": "sse"},
			want: []string{"MCP_TRANSPORT=sse: want stdio or http"},
		},
		{
			name: "address",
			args: []string{"--addr", "8080"},
			want: []string{"--addr=8080: want host:port, e.g. 127.0.0.1:8080, or :8080 for every interface"},
		},
		{
			name: "metrics address",
			args: []string{"--metrics-addr", "9090"},
			want: []string{"--metrics-addr=9090: want host:port, e.g. 127.0.0.1:8080, or :8080 for every interface"},
		},
		{
			name: "short metrics token",
			env:  map[string]string{"METRICS_TOKEN": "short"},
			want: []string{"METRICS_TOKEN: want at least 16 characters"},
		},
		{
			name: "region",
			env:  map[string]string{"AWS_DEFAULT_REGION": "US_EAST_1"},
			want: []string{"AWS_DEFAULT_REGION=US_EAST_1: want a region code such as us-east-1 or eu-west-3"},
		},
		{
			name: "empty region flag",
			args: []string{"--region="},
			want: []string{`--region="": want a region code such as us-east-1 or eu-west-3`},
		},
		{
			name: "endpoint",
			env:  map[string]string{"AWS_ENDPOINT_URL": "localhost:4566"},
			want: []string{"AWS_ENDPOINT_URL=localhost:4566: want an http or https URL, e.g. https://bedrock-runtime.us-east-1.amazonaws.com or http://127.0.0.1:4566"},
		},
		{
			name: "missing models file",
			env:  map[string]string{"MODELS_FILE": "/nonexistent/models.json"},
			want: []string{"MODELS_FILE=/nonexistent/models.json: no such file: /nonexistent/models.json"},
		},
		{
			name: "half a key pair",
			env:  map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"},
			want: []string{"AWS_ACCESS_KEY_ID: set without AWS_SECRET_ACCESS_KEY: set both, or neither to use the SDK's credential chain"},
		},
		{
			name:   "secret without its key id",
			dotenv: "AWS_SECRET_ACCESS_KEY=xyz\n",
			want:   []string{"AWS_SECRET_ACCESS_KEY (from .env): set without AWS_ACCESS_KEY_ID: set both, or neither to use the SDK's credential chain"},
		},
		{
			name: "token alone",
			env:  map[string]string{"AWS_SESSION_TOKEN": "tok"},
			want: []string{"AWS_SESSION_TOKEN: set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which it belongs to"},
		},
		{
			name: "api keys",
			env:  map[string]string{"API_KEYS": "alice:" + keyA + ",justakey,bob:short,alice:" + keyB + ",carol:" + keyA},
			want: []string{
				"API_KEYS: entry 2: want name:key",
				`API_KEYS: entry 3: key of "bob" is shorter than 16 characters (make one with: openssl rand -hex 32)`,
				`API keys: name "alice" is given twice`,
				`API keys: "alice" and "carol" have the same key`,
			},
		},
		{
			name: "api key name",
			env:  map[string]string{"API_KEYS": "al ice:" + keyA},
			want: []string{"API_KEYS: want name:key, the name 1 to 64 letters, digits, '.', '_' or '-'"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.dotenv != "" {
				writeFile(t, dir, ".env", tt.dotenv)
			}
			got, err := Load(tt.args, mapEnv(tt.env), dir)
			if err == nil {
				t.Fatalf("Load = %v, want an error", got)
			}
			if got != nil {
				t.Errorf("Load returned a Config with an error")
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("Load error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadAllErrorsAtOnce sets every setting wrong at once, from every
// source, and expects one error listing every problem.
func TestLoadAllErrorsAtOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".env", "MCP_TRANSPORT=sse\nthis line is wrong\nLOG_FORMAT=\"xml\n")
	writeFile(t, dir, "keys.txt", "nokey\n")
	env := map[string]string{
		"AWS_REGION":           "Mars",
		"AWS_ENDPOINT_URL":     "ftp://x",
		"CACHE_ENABLED":        "2",
		"CACHE_TTL":            "abc",
		"CACHE_MAX_SIZE":       "-1",
		"CACHE_MAX_BYTES":      "lots",
		"METRICS_ENABLED":      "sure",
		"LOG_LEVEL":            "loud",
		"LOG_PROMPTS":          "perhaps",
		"REQUEST_TIMEOUT":      "soon",
		"MAX_INPUT_BYTES":      "0",
		"BEDROCK_MAX_ATTEMPTS": "0",
		"BEDROCK_SIMULATOR":    "y",
		"MODELS_FILE":          "missing.json",
		"MCP_ADDR":             "nowhere",
		"API_KEYS":             "x",
		"API_KEYS_FILE":        "keys.txt",
		"AWS_SESSION_TOKEN":    "tok",
	}
	_, err := Load([]string{"--max-backoff", "never"}, mapEnv(env), dir)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	envFile := filepath.Join(dir, ".env")
	want := []string{
		envFile + ":2: want KEY=VALUE",
		envFile + `:3: LOG_FORMAT: missing closing " in the value`,
		"AWS_REGION=Mars:",
		"AWS_ENDPOINT_URL=ftp://x:",
		"CACHE_ENABLED=2:",
		"CACHE_TTL=abc:",
		"CACHE_MAX_SIZE=-1:",
		"CACHE_MAX_BYTES=lots:",
		"METRICS_ENABLED=sure:",
		"LOG_LEVEL=loud:",
		"LOG_PROMPTS=perhaps:",
		"REQUEST_TIMEOUT=soon:",
		"MAX_INPUT_BYTES=0:",
		"BEDROCK_MAX_ATTEMPTS=0:",
		"--max-backoff=never:",
		"BEDROCK_SIMULATOR=y:",
		"MCP_TRANSPORT=sse (from .env):",
		"MCP_ADDR=nowhere:",
		"API_KEYS: want name:key",
		"AWS_SESSION_TOKEN: set without",
		"MODELS_FILE=missing.json: no such file",
		"API_KEYS_FILE=keys.txt: line 1: want name:key",
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("Load gave %d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if i < len(lines) && !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, lines[i], w)
		}
	}
}

func TestLoadCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "flag provided but not defined: -bogus (run llm-gateway --help for the list of settings)"},
		{[]string{"--aws-secret-access-key=hunter2hunter2"}, "flag provided but not defined: -aws-secret-access-key (run llm-gateway --help for the list of settings)"},
		{[]string{"--region"}, "flag needs an argument: -region (run llm-gateway --help for the list of settings)"},
		{[]string{"serve"}, `unexpected argument "serve": llm-gateway takes only flags (run llm-gateway --help)`},
	}
	for _, tt := range tests {
		// A bad environment must not hide the command-line error.
		_, err := Load(tt.args, mapEnv(map[string]string{"CACHE_TTL": "abc"}), t.TempDir())
		if err == nil || err.Error() != tt.want {
			t.Errorf("Load(%q) error = %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestLoadHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"--cache-ttl=5", "-h"}} {
		cfg, err := Load(args, mapEnv(nil), t.TempDir())
		if !errors.Is(err, ErrHelp) || cfg != nil {
			t.Errorf("Load(%q) = %v, %v; want nil, ErrHelp", args, cfg, err)
		}
	}
}

func TestLoadVersion(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".env", "not a line\n")
	bad := mapEnv(map[string]string{"CACHE_TTL": "abc"})
	got, err := Load([]string{"--version"}, bad, dir)
	if err != nil {
		t.Fatalf("Load(--version) error = %v, want none whatever the other settings", err)
	}
	if want := (&Config{Version: true}); !cmp.Equal(want, got) {
		t.Errorf("Load(--version) = %#v, want only Version set", got)
	}

	got, err = Load([]string{"--version=false"}, mapEnv(nil), t.TempDir())
	if err != nil || got.Version {
		t.Errorf("Load(--version=false) = %v, %v; want Version false", got, err)
	}
}

func TestFallbacksAndGuardrail(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    map[string][]string
		wantErr string
	}{
		{env: map[string]string{"FALLBACK_MODELS": "claude-sonnet-4-6:claude-haiku-4-5|nova-pro, *:nova-lite"},
			want: map[string][]string{"claude-sonnet-4-6": {"claude-haiku-4-5", "nova-pro"}, "*": {"nova-lite"}}},
		{env: map[string]string{"FALLBACK_MODELS": "nova-pro"}, wantErr: "FALLBACK_MODELS=nova-pro: want model:fallback"},
		{env: map[string]string{"FALLBACK_MODELS": "a:b,a:c"}, wantErr: "two chains"},
		{env: map[string]string{"FALLBACK_MODELS": "a:b||c"}, wantErr: "empty fallback"},
		{env: map[string]string{"GUARDRAIL_ID": "gr1"}, wantErr: "GUARDRAIL_VERSION go together"},
		{env: map[string]string{"GUARDRAIL_ID": "gr1", "GUARDRAIL_VERSION": "DRAFT"}},
		{env: map[string]string{"GUARDRAIL_ID": "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc1", "GUARDRAIL_VERSION": "12"}},
		{env: map[string]string{"GUARDRAIL_ID": "my guardrail!", "GUARDRAIL_VERSION": "1"}, wantErr: `GUARDRAIL_ID="my guardrail!": want a guardrail ID`},
		{env: map[string]string{"GUARDRAIL_ID": "gr1", "GUARDRAIL_VERSION": "v2"}, wantErr: "GUARDRAIL_VERSION=v2: want a version number"},
		{env: map[string]string{"API_KEYS_FILE": "/dev/zero"}, wantErr: "larger than 1024 KiB"},
	}
	for _, tt := range tests {
		c, err := Load(nil, func(k string) string { return tt.env[k] }, t.TempDir())
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load(%v) error = %v, want %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Load(%v): %v", tt.env, err)
		}
		if diff := cmp.Diff(tt.want, c.FallbackModels, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("FallbackModels (-want +got):\n%s", diff)
		}
	}
}
