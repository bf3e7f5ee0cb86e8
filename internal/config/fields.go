package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// field parses a raw value into one Config field and formats it back.
// Parse errors say what is allowed and never repeat the value: the caller
// adds it, unless the setting is a secret.
type field interface {
	set(c *Config, raw string) error
	format(c *Config) string
	// redacted shows a secret's field without its value.
	redacted(c *Config) string
	isBool() bool
}

// typed is a field of type T reached through ptr.
type typed[T any] struct {
	ptr    func(*Config) *T
	parse  func(string) (T, error)
	show   func(T) string
	redact func(T) string // if nil, "set" or "unset"
}

// set stores what parse returned even with an error: a list (API_KEYS)
// keeps its good entries for the checks across settings, and Load returns
// no Config when there is any error.
func (f typed[T]) set(c *Config, raw string) error {
	v, err := f.parse(raw)
	*f.ptr(c) = v
	return err
}

func (f typed[T]) format(c *Config) string { return f.show(*f.ptr(c)) }

func (f typed[T]) redacted(c *Config) string {
	v := *f.ptr(c)
	if f.redact != nil {
		return f.redact(v)
	}
	if f.show(v) == "" {
		return "unset"
	}
	return "set"
}

func (f typed[T]) isBool() bool {
	var zero T
	_, ok := any(zero).(bool)
	return ok
}

func boolean(ptr func(*Config) *bool) field {
	return typed[bool]{ptr: ptr, parse: parseBool, show: strconv.FormatBool}
}

// parseBool accepts the spellings people put in environment files.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, errors.New("want true or false (or 1/0, yes/no, on/off)")
}

// seconds is a duration written as whole seconds ("3600", as the original
// Python gateway took it) or as a Go duration ("90s", "1h30m"). It is never
// negative; if positive, zero is refused too.
func seconds(ptr func(*Config) *time.Duration, positive bool) field {
	return typed[time.Duration]{ptr: ptr, show: formatDuration, parse: func(s string) (time.Duration, error) {
		d, err := parseSeconds(s)
		switch {
		case err != nil:
			return 0, err
		case d < 0:
			return 0, errors.New("must not be negative")
		case d == 0 && positive:
			return 0, errors.New("must be positive, e.g. 30 or 30s")
		}
		return d, nil
	}}
}

func parseSeconds(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, errors.New("too large")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("want a whole number of seconds, e.g. 3600, or a duration such as 90s or 1h30m")
	}
	return d, nil
}

// formatDuration writes whole seconds as "3600s", which both Go and a
// reader of the seed's CACHE_TTL=3600 understand.
func formatDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// number is a whole number from lo to hi inclusive.
func number(ptr func(*Config) *int, lo, hi int) field {
	want := fmt.Sprintf("want a whole number from %d to %d", lo, hi)
	if hi == math.MaxInt32 {
		want = fmt.Sprintf("want a whole number, at least %d", lo)
	}
	return typed[int]{ptr: ptr, show: strconv.Itoa, parse: func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return 0, errors.New(want)
		}
		return n, nil
	}}
}

// size is a count of bytes, at least lo.
func size(ptr func(*Config) *int64, lo int64) field {
	return typed[int64]{ptr: ptr, show: formatSize, parse: func(s string) (int64, error) {
		n, err := parseSize(s)
		if err != nil {
			return 0, err
		}
		if n < lo {
			return 0, fmt.Errorf("must be at least %s", formatSize(lo))
		}
		return n, nil
	}}
}

var sizeRE = regexp.MustCompile(`(?i)^([0-9]+)\s*(B|KiB|MiB|GiB)?$`)

var sizeUnits = map[string]int64{"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}

// parseSize reads "1048576", "1024KiB" or "1MiB". Decimal units (MB) are
// refused rather than guessed: people mean either 10^6 or 2^20 by them.
func parseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, errors.New("want a number of bytes, e.g. 1048576, or one with a KiB, MiB or GiB suffix, e.g. 64MiB")
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	unit := sizeUnits[strings.ToLower(m[2])]
	if err != nil || n > math.MaxInt64/unit {
		return 0, errors.New("too large")
	}
	return n * unit, nil
}

func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// text is a string, checked by check if not nil (check sees "" too).
func text(ptr func(*Config) *string, check func(string) error) field {
	return typed[string]{ptr: ptr, show: identity, parse: func(s string) (string, error) {
		if check != nil {
			if err := check(s); err != nil {
				return "", err
			}
		}
		return s, nil
	}}
}

// oneOf is one of a few lower-case words, given in any case.
func oneOf(ptr func(*Config) *string, choices ...string) field {
	want := "want " + strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
	return typed[string]{ptr: ptr, show: identity, parse: func(s string) (string, error) {
		s = strings.ToLower(s)
		if !slices.Contains(choices, s) {
			return "", errors.New(want)
		}
		return s, nil
	}}
}

func identity(s string) string { return s }

// level is a slog level by the names Python's logging also uses.
func level(ptr func(*Config) *slog.Level) field {
	return typed[slog.Level]{ptr: ptr, show: slog.Level.String, parse: func(s string) (slog.Level, error) {
		switch strings.ToUpper(s) {
		case "DEBUG":
			return slog.LevelDebug, nil
		case "INFO":
			return slog.LevelInfo, nil
		case "WARN", "WARNING":
			return slog.LevelWarn, nil
		case "ERROR":
			return slog.LevelError, nil
		}
		return 0, errors.New("want DEBUG, INFO, WARN or ERROR")
	}}
}

// regionRE matches every AWS region code (us-east-1, us-gov-west-1,
// ap-southeast-7, us-isob-east-1) and catches the usual slips: upper case,
// underscores, a zone letter (us-east-1a), a missing number.
var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// checkRedisURL accepts an empty value (no Redis) or a redis:// or
// rediss:// URL; the value is a secret, so the error does not repeat it.
func checkRedisURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return errors.New("want redis://host:port[/db] or rediss://host:port[/db]")
	}
	return nil
}

func checkRegion(s string) error {
	if !regionRE.MatchString(s) {
		return errors.New("want a region code such as us-east-1 or eu-west-3")
	}
	return nil
}

func checkURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http or https URL, e.g. https://bedrock-runtime.us-east-1.amazonaws.com or http://127.0.0.1:4566")
	}
	return nil
}

// optional lets a check pass the empty value: the setting is off.
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return check(s)
	}
}

// checkToken keeps guessable bearer tokens out, as minKeyLen does for keys.
func checkToken(s string) error {
	if s != "" && len(s) < minKeyLen {
		return fmt.Errorf("want at least %d characters", minKeyLen)
	}
	return nil
}

func checkAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		return errors.New("want host:port, e.g. 127.0.0.1:8080, or :8080 for every interface")
	}
	return nil
}

func fallbacks(ptr func(*Config) *map[string][]string) field {
	return typed[map[string][]string]{ptr: ptr, parse: parseFallbacks, show: showFallbacks}
}

// parseFallbacks reads model:fallback|fallback,model:fallback.
func parseFallbacks(s string) (map[string][]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string][]string{}
	for _, chain := range strings.Split(s, ",") {
		model, rest, ok := strings.Cut(strings.TrimSpace(chain), ":")
		model = strings.TrimSpace(model)
		if !ok || model == "" || strings.TrimSpace(rest) == "" {
			return nil, fmt.Errorf("want model:fallback|fallback,model:fallback, e.g. claude-sonnet-4-6:claude-haiku-4-5|nova-pro")
		}
		if _, dup := out[model]; dup {
			return nil, fmt.Errorf("model %q has two chains; give one", model)
		}
		for _, fb := range strings.Split(rest, "|") {
			if fb = strings.TrimSpace(fb); fb == "" {
				return nil, fmt.Errorf("model %q: empty fallback name in %q", model, rest)
			}
			out[model] = append(out[model], fb)
		}
	}
	return out, nil
}

func showFallbacks(m map[string][]string) string {
	models := make([]string, 0, len(m))
	for k := range m {
		models = append(models, k)
	}
	slices.Sort(models)
	var b strings.Builder
	for i, k := range models {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + ":" + strings.Join(m[k], "|"))
	}
	return b.String()
}
