package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseSeconds(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"3600", time.Hour, false},
		{"0", 0, false},
		{"90s", 90 * time.Second, false},
		{"1h30m", 90 * time.Minute, false},
		{"250ms", 250 * time.Millisecond, false},
		{"-5", -5 * time.Second, false}, // sign is checked by the field
		{"1.5", 0, true},
		{"abc", 0, true},
		{"", 0, true},
		{"99999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSeconds(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour:               "3600s",
		0:                       "0s",
		1500 * time.Millisecond: "1.5s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"1048576", 1 << 20, false},
		{"0", 0, false},
		{"10B", 10, false},
		{"64MiB", 64 << 20, false},
		{"64 mib", 64 << 20, false},
		{"2KiB", 2 << 10, false},
		{"1GIB", 1 << 30, false},
		{"64MB", 0, true},
		{"1.5MiB", 0, true},
		{"-1", 0, true},
		{"MiB", 0, true},
		{"99999999999999999999", 0, true},
		{"9999999999999GiB", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatSizeRoundTrip(t *testing.T) {
	for _, n := range []int64{0, 1, 1000, 1 << 10, 3 << 20, 64 << 20, 5 << 30, 1<<20 + 1} {
		s := formatSize(n)
		got, err := parseSize(s)
		if err != nil || got != n {
			t.Errorf("parseSize(formatSize(%d) = %q) = %d, %v; want %d", n, s, got, err, n)
		}
	}
	if got := formatSize(64 << 20); got != "64MiB" {
		t.Errorf("formatSize(64<<20) = %q, want 64MiB", got)
	}
}

func TestParseBool(t *testing.T) {
	for _, s := range []string{"true", "TRUE", "1", "yes", "Yes", "on", "ON"} {
		if v, err := parseBool(s); !v || err != nil {
			t.Errorf("parseBool(%q) = %v, %v; want true", s, v, err)
		}
	}
	for _, s := range []string{"false", "False", "0", "no", "NO", "off", "Off"} {
		if v, err := parseBool(s); v || err != nil {
			t.Errorf("parseBool(%q) = %v, %v; want false", s, v, err)
		}
	}
	for _, s := range []string{"", "2", "y", "n", "enabled", "t"} {
		if _, err := parseBool(s); err == nil {
			t.Errorf("parseBool(%q) succeeded, want an error", s)
		}
	}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		check func(string) error
		name  string
		good  []string
		bad   []string
	}{
		{
			checkRegion, "checkRegion",
			[]string{"us-east-1", "eu-west-3", "us-gov-west-1", "ap-southeast-7", "us-isob-east-1", "il-central-1"},
			[]string{"", "US-EAST-1", "us_east_1", "us-east-1a", "us-east", "useast1", " us-east-1"},
		},
		{
			checkURL, "checkURL",
			[]string{"", "https://bedrock-runtime.us-east-1.amazonaws.com", "http://127.0.0.1:4566", "http://localhost:8080/base"},
			[]string{"localhost:4566", "ftp://x", "https://", "//host", "not a url"},
		},
		{
			checkAddr, "checkAddr",
			[]string{"127.0.0.1:8080", ":8080", "0.0.0.0:0", "[::1]:443", "localhost:65535"},
			[]string{"", "8080", "127.0.0.1", "host:http", "host:70000", "host:-1"},
		},
	}
	for _, tt := range tests {
		for _, s := range tt.good {
			if err := tt.check(s); err != nil {
				t.Errorf("%s(%q) = %v, want nil", tt.name, s, err)
			}
		}
		for _, s := range tt.bad {
			// Messages say what is wanted; the caller adds the value.
			if err := tt.check(s); err == nil || !strings.HasPrefix(err.Error(), "want ") {
				t.Errorf("%s(%q) = %v, want an error saying what is wanted", tt.name, s, err)
			}
		}
	}
}
