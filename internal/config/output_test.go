package config

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/usage.golden")

func TestUsageGolden(t *testing.T) {
	var b bytes.Buffer
	Usage(&b)
	golden := filepath.Join("testdata", "usage.golden")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("Usage mismatch (-want +got), run go test -update if intended:\n%s", diff)
	}
}

func TestUsageMentionsEverySetting(t *testing.T) {
	var b bytes.Buffer
	Usage(&b)
	out := b.String()
	for _, s := range settings {
		for _, e := range s.envs {
			if !strings.Contains(out, e) {
				t.Errorf("Usage does not mention %s", e)
			}
		}
		if s.flag != "" && !strings.Contains(out, "--"+s.flag) {
			t.Errorf("Usage does not mention --%s", s.flag)
		}
		if s.def != "" && len(s.envs) > 0 && !strings.Contains(out, "(default "+s.def+")") {
			t.Errorf("Usage does not give the default of %s", s.key())
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 80 {
			t.Errorf("Usage line longer than 80 columns: %q", line)
		}
	}
}

// TestSettingsTable guards the table that Load and Usage share.
func TestSettingsTable(t *testing.T) {
	names := make(map[string]bool)
	for _, s := range settings {
		if len(s.envs) == 0 && s.flag == "" {
			t.Errorf("setting %+v has neither a variable nor a flag", s)
		}
		if strings.TrimSpace(s.help) == "" {
			t.Errorf("%s has no help text", s.key())
		}
		if s.group == "" {
			t.Errorf("%s has no group", s.key())
		}
		if s.secret && s.flag != "" {
			t.Errorf("%s is a secret but has a flag, which would show it in ps", s.key())
		}
		if s.flag != "" && !s.field.isBool() && s.arg == "" {
			t.Errorf("%s takes a value but has no placeholder for Usage", s.key())
		}
		for _, n := range append([]string{"--" + s.flag}, s.envs...) {
			if n != "--" && names[n] {
				t.Errorf("%s is used by two settings", n)
			}
			names[n] = true
		}
		// The default must parse.
		var c Config
		if err := s.field.set(&c, s.def); err != nil {
			t.Errorf("%s default %q does not parse: %v", s.key(), s.def, err)
		}
	}
}

// secretConfig loads a Config with every secret set to a recognisable value.
func secretConfig(t *testing.T) *Config {
	t.Helper()
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":        "AKIAhunter2hunter2",
		"AWS_SECRET_ACCESS_KEY":    "hunter2hunter2hunter2",
		"AWS_SESSION_TOKEN":        "tokenhunter2hunter2",
		"AWS_BEARER_TOKEN_BEDROCK": "bedrockhunter2hunter2",
		"API_KEYS":                 "alice:hunter2hunter2hunter2-1,bob:hunter2hunter2hunter2-2",
		"AWS_PROFILE":              "dev",
		"ADMIN_KEYS":               "ops:hunter2hunter2hunter2-3",
		"METRICS_TOKEN":            "hunter2hunter2hunter2-4",
	}
	c, err := Load(nil, mapEnv(env), t.TempDir())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestRedacted(t *testing.T) {
	c := secretConfig(t)
	got := c.Redacted()
	want := map[string]string{
		"AWS_REGION":                       "us-east-1",
		"AWS_ACCESS_KEY_ID":                "set",
		"AWS_SECRET_ACCESS_KEY":            "set",
		"AWS_SESSION_TOKEN":                "set",
		"AWS_BEARER_TOKEN_BEDROCK":         "set",
		"AWS_PROFILE":                      "dev",
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": "",
		"CACHE_ENABLED":                    "true",
		"CACHE_TTL":                        "3600s",
		"CACHE_MAX_SIZE":                   "1000",
		"CACHE_MAX_BYTES":                  "64MiB",
		"METRICS_ENABLED":                  "true",
		"METRICS_ADDR":                     "",
		"METRICS_TOKEN":                    "set",
		"LOG_LEVEL":                        "INFO",
		"LOG_FORMAT":                       "text",
		"LOG_PROMPTS":                      "false",
		"REQUEST_TIMEOUT":                  "120s",
		"MAX_INPUT_BYTES":                  "1MiB",
		"MAX_MESSAGE_BYTES":                "4MiB",
		"MAX_SESSIONS":                     "1000",
		"MAX_SESSIONS_PER_KEY":             "100",
		"SESSION_IDLE_TIMEOUT":             "3600s",
		"MAX_ANSWER_BYTES":                 "16MiB",
		"BEDROCK_ATTEMPT_TIMEOUT":          "60s",
		"BEDROCK_RETRY_QUOTA":              "true",
		"MAX_CONCURRENT_CALLS":             "512",
		"MAX_CONCURRENT_CALLS_PER_KEY":     "128",
		"MAX_BYTES_IN_FLIGHT":              "64MiB",
		"AUTH_BACKOFF_AFTER":               "5",
		"AUTH_BACKOFF_MAX":                 "300s",
		"BEDROCK_MAX_ATTEMPTS":             "3",
		"BEDROCK_MAX_BACKOFF":              "20s",
		"BEDROCK_SIMULATOR":                "false",
		"MODELS_FILE":                      "",
		"FALLBACK_MODELS":                  "",
		"GUARDRAIL_ID":                     "",
		"GUARDRAIL_VERSION":                "",
		"STORE_URL":                        "",
		"LEDGER_RETENTION":                 "90d",
		"LEDGER_REQUIRED":                  "false",
		"PROGRESS_INTERVAL":                "5s",
		"MCP_TRANSPORT":                    "stdio",
		"MCP_ADDR":                         "127.0.0.1:8080",
		"API_KEYS":                         "2 keys: alice, bob",
		"API_KEYS_FILE":                    "",
		"ADMIN_KEYS":                       "1 keys: ops",
		"ALLOW_INSECURE_NO_AUTH":           "false",
		"ALLOWED_ORIGINS":                  "",
		"MCP_STATELESS":                    "false",
		"SHUTDOWN_GRACE":                   "25s",
		"POLICY_FILE":                      "",
		"AGENT_NAME":                       "",
		"REDIS_URL":                        "unset",
		"REDIS_CLUSTER":                    "false",
		"REDIS_PREFIX":                     "llm-gateway:",
		"REDIS_LOCK_TTL":                   "10s",
		"FAIL_MODE":                        "closed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Redacted mismatch (-want +got):\n%s", diff)
	}

	unset := defaults()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "API_KEYS"} {
		if got := unset.Redacted()[k]; got != "unset" {
			t.Errorf("Redacted()[%s] with nothing set = %q, want unset", k, got)
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	c := secretConfig(t)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", c)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "config", *c)
	outputs := map[string]string{
		"String":  c.String(),
		"%v":      fmt.Sprintf("%v", c),
		"%+v":     fmt.Sprintf("%+v", c),
		"%#v":     fmt.Sprintf("%#v", c),
		"%v elem": fmt.Sprintf("%v", *c),
		"%s keys": fmt.Sprintf("%s", c.APIKeys),
		"slog":    logs.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s shows a secret: %s", name, out)
		}
		if !strings.Contains(out, "alice") {
			t.Errorf("%s does not name the API key holders: %s", name, out)
		}
	}
	if !strings.Contains(logs.String(), `"AWS_SECRET_ACCESS_KEY":"set"`) {
		t.Errorf("JSON log lacks AWS_SECRET_ACCESS_KEY=set: %s", logs.String())
	}
}

// TestSecretsNeverInErrors feeds bad secrets through every path that can
// report them and checks no error repeats one.
func TestSecretsNeverInErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, ".env", "AWS_SECRET_ACCESS_KEY=\"hunter2-unterminated\nAWS_SESSION_TOKEN='hunter2' hunter2\n")
	writeFile(t, dir, "keys.txt", "hunter2-without-name\nalice:hunter2\n")
	env := map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAhunter2",
		"API_KEYS":          "hunter2hunter2hunter2,bob:hunter2,:hunter2hunter2hunter2hunter2,carol:hunter2 hunter2 hunter2",
		"API_KEYS_FILE":     "keys.txt",
	}
	_, err := Load([]string{"--aws-secret-access-key=hunter2"}, mapEnv(env), dir)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Load error = %v, want an error without secrets", err)
	}
	_, err = Load(nil, mapEnv(env), dir)
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Load error shows a secret:\n%v", err)
	}
	if n := len(strings.Split(err.Error(), "\n")); n < 8 {
		t.Errorf("Load reported %d problems, want at least 8:\n%v", n, err)
	}
}
