package catalog

import (
	"testing"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestEndOfLifeDateTurnsLegacyIntoEndOfLife(t *testing.T) {
	tests := []struct {
		day  string
		want string
	}{
		{"2027-04-07", gateway.StatusLegacy},    // the day before
		{"2027-04-08", gateway.StatusEndOfLife}, // the day itself
		{"2030-01-01", gateway.StatusEndOfLife},
	}
	for _, tt := range tests {
		day, _ := time.Parse(time.DateOnly, tt.day)
		c, err := Load(Options{Now: func() time.Time { return day.Add(12 * time.Hour) }})
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.Resolve("claude-sonnet-4-5") // legacy, end of life 2027-04-08
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != tt.want {
			t.Errorf("on %s claude-sonnet-4-5 status = %q, want %q", tt.day, m.Status, tt.want)
		}
	}
}
