package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestServerSettings(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(*Config) bool
		wantErr string
	}{
		{name: "defaults", check: func(c *Config) bool {
			return !c.AllowNoAuth && !c.Stateless && c.AllowedOrigins == nil && c.ShutdownGrace == 25*time.Second
		}},
		{name: "flags", args: []string{"--allow-no-auth", "--stateless", "--shutdown-grace=5s", "--allowed-origins=https://a.example.com, http://b.example.com:8080"},
			check: func(c *Config) bool {
				return c.AllowNoAuth && c.Stateless && c.ShutdownGrace == 5*time.Second &&
					cmp.Equal(c.AllowedOrigins, []string{"https://a.example.com", "http://b.example.com:8080"})
			}},
		{name: "environment", env: map[string]string{"ALLOW_INSECURE_NO_AUTH": "yes", "MCP_STATELESS": "1", "SHUTDOWN_GRACE": "40"},
			check: func(c *Config) bool { return c.AllowNoAuth && c.Stateless && c.ShutdownGrace == 40*time.Second }},
		{name: "wildcard origin", env: map[string]string{"ALLOWED_ORIGINS": "*"}, wantErr: "ALLOWED_ORIGINS=*: *: a wildcard would let every web page call the gateway"},
		{name: "origin with a path", env: map[string]string{"ALLOWED_ORIGINS": "https://a.example.com/app"}, wantErr: "want scheme://host[:port]"},
		{name: "origin without a scheme", env: map[string]string{"ALLOWED_ORIGINS": "a.example.com"}, wantErr: "want scheme://host[:port]"},
		{name: "zero grace", env: map[string]string{"SHUTDOWN_GRACE": "0"}, wantErr: "SHUTDOWN_GRACE=0: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, mapEnv(tt.env), t.TempDir())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Load = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !tt.check(c) {
				t.Errorf("Load(%v, %v) = %+v", tt.args, tt.env, c)
			}
		})
	}
}
