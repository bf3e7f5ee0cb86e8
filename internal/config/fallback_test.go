package config

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFallback(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		dotenv string
		want   func(c *Config)
	}{
		{"nothing set", nil, nil, "", func(*Config) {}},
		{"a bad value gives its default, the rest stays",
			nil, map[string]string{"CACHE_TTL": "soon", "LOG_LEVEL": "debug", "AWS_PROFILE": "bedrock"}, "",
			func(c *Config) { c.LogLevel = slog.LevelDebug; c.Profile = "bedrock" }},
		{"a malformed command line is ignored",
			[]string{"--no-such-flag"}, map[string]string{"MCP_TRANSPORT": "stdio", "REQUEST_TIMEOUT": "30"}, "",
			func(c *Config) { c.RequestTimeout = 30 * time.Second }},
		{"a transport that does not parse is none",
			nil, map[string]string{"MCP_TRANSPORT": "htp"}, "", func(c *Config) { c.Transport = "" }},
		{"a transport flag on a malformed command line is none",
			[]string{"--transport", "http", "--bogus"}, nil, "", func(c *Config) { c.Transport = "" }},
		{"half of a key pair is kept; only Load judges combinations",
			nil, map[string]string{"AWS_ACCESS_KEY_ID": "AKID"}, "", func(c *Config) { c.AccessKeyID = "AKID" }},
		{"values from .env count",
			nil, nil, "LOG_FORMAT=json\nAWS_BEARER_TOKEN_BEDROCK=tok\n",
			func(c *Config) { c.LogFormat = LogJSON; c.BedrockAPIKey = "tok" }},
		{"an unreadable .env is skipped",
			nil, map[string]string{"LOG_LEVEL": "warn"}, "NOT A LINE\n",
			func(c *Config) { c.LogLevel = slog.LevelWarn }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.dotenv != "" {
				writeFile(t, dir, ".env", tt.dotenv)
			}
			want := defaults()
			tt.want(&want)
			got := Fallback(tt.args, mapEnv(tt.env), dir)
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("Fallback mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Every default parses, or Fallback could leave a setting half set.
func TestDefaultsParse(t *testing.T) {
	for i := range settings {
		s := &settings[i]
		if err := s.field.set(&Config{}, s.def); err != nil {
			t.Errorf("default of %s (%q): %v", s.key(), s.def, err)
		}
	}
}
