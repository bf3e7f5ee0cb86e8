package config

import (
	"strings"
	"testing"
	"time"
)

func TestLedgerSettings(t *testing.T) {
	tests := []struct {
		env       map[string]string
		store     string
		retention time.Duration
		required  bool
		wantErr   string
	}{
		{env: map[string]string{}, retention: 90 * 24 * time.Hour},
		{env: map[string]string{"STORE_URL": "sqlite:/tmp/x.db", "LEDGER_RETENTION": "7d", "LEDGER_REQUIRED": "true"}, store: "sqlite:/tmp/x.db", retention: 7 * 24 * time.Hour, required: true},
		{env: map[string]string{"STORE_URL": "memory:", "LEDGER_RETENTION": "0"}, store: "memory:"},
		{env: map[string]string{"STORE_URL": "postgres://u:pw@db:5432/x", "LEDGER_RETENTION": "36h"}, store: "postgres://u:pw@db:5432/x", retention: 36 * time.Hour},
		{env: map[string]string{"STORE_URL": "mysql://x"}, wantErr: "STORE_URL=mysql://x: want sqlite:PATH, postgres://user@host/database or memory:"},
		{env: map[string]string{"STORE_URL": "sqlite:"}, wantErr: "needs a file"},
		{env: map[string]string{"LEDGER_RETENTION": "ninety"}, wantErr: "LEDGER_RETENTION=ninety: want days such as 90d"},
		{env: map[string]string{"LEDGER_RETENTION": "-1d"}, wantErr: "want a number of days"},
	}
	for _, tt := range tests {
		c, err := Load(nil, func(k string) string { return tt.env[k] }, t.TempDir())
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load(%v) error = %v; want one containing %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Load(%v) = %v", tt.env, err)
			continue
		}
		if c.StoreURL != tt.store || c.LedgerRetention != tt.retention || c.LedgerRequired != tt.required {
			t.Errorf("Load(%v) = store %q, retention %v, required %v; want %q, %v, %v", tt.env, c.StoreURL, c.LedgerRetention, c.LedgerRequired, tt.store, tt.retention, tt.required)
		}
	}
}

func TestStoreURLPasswordRedacted(t *testing.T) {
	c, err := Load(nil, func(k string) string {
		return map[string]string{"STORE_URL": "postgres://gw:hunter2@db.internal:5432/ledger"}[k]
	}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"Redacted": c.Redacted()["STORE_URL"], "String": c.String()} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("%s shows the store's password: %s", name, s)
		}
	}
}
