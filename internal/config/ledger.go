package config

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// storeURL is STORE_URL: sqlite:PATH, postgres://… (or postgresql://), or
// memory:. Shown with any password replaced, so that logs never hold it.
func storeURL(ptr func(*Config) *string) field {
	return typed[string]{ptr: ptr, show: RedactStoreURL, parse: func(s string) (string, error) {
		switch {
		case s == "", s == "memory:":
			return s, nil
		case strings.HasPrefix(s, "sqlite:"):
			if strings.TrimPrefix(s, "sqlite:") == "" {
				return s, errors.New("sqlite: needs a file, e.g. sqlite:/var/lib/llm-gateway/gateway.db")
			}
			return s, nil
		case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
			if _, err := url.Parse(s); err != nil {
				return s, errors.New("not a valid URL; want postgres://user:password@host:5432/database")
			}
			return s, nil
		}
		return s, errors.New("want sqlite:PATH, postgres://user@host/database or memory: (nothing kept on disk)")
	}}
}

// RedactStoreURL returns a store URL with its password, if any, replaced.
func RedactStoreURL(s string) string {
	if !strings.HasPrefix(s, "postgres") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://(unreadable URL)"
	}
	return u.Redacted()
}

// retention is a duration written in days ("90d"), as a Go duration, or as
// whole seconds; zero means forever.
func retention(ptr func(*Config) *time.Duration) field {
	return typed[time.Duration]{ptr: ptr, show: formatRetention, parse: func(s string) (time.Duration, error) {
		var d time.Duration
		if days, ok := strings.CutSuffix(s, "d"); ok {
			n, err := strconv.Atoi(days)
			if err != nil || n < 0 || n > 100*365 {
				return 0, errors.New("want a number of days from 0 to 36500, e.g. 90d")
			}
			d = time.Duration(n) * 24 * time.Hour
		} else {
			var err error
			if d, err = parseSeconds(s); err != nil {
				return 0, errors.New("want days such as 90d, or a duration such as 720h; 0 keeps records forever")
			}
		}
		if d < 0 {
			return 0, errors.New("must not be negative")
		}
		return d, nil
	}}
}

func formatRetention(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return formatDuration(d)
}
