package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// minKeyLen keeps guessable keys out: a key guards paid Bedrock calls.
const minKeyLen = 16

// keyNameRE and maxKeyName keep key names fit for logs and metric labels.
// The length is checked apart: compiled at every start, {1,64} cost 60 KB
// and 860 allocations of the start-up heap.
var keyNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

const maxKeyName = 64

// apiKeys is API_KEYS: "name:key,name:key". Its redacted form names the
// holders, which are not secret, and hides the keys.
func apiKeys(ptr func(*Config) *[]APIKey) field {
	return typed[[]APIKey]{
		ptr: ptr,
		parse: func(s string) ([]APIKey, error) {
			return parseAPIKeys(s)
		},
		show: func(keys []APIKey) string {
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = k.Name + ":" + k.Key
			}
			return strings.Join(parts, ",")
		},
		redact: func(keys []APIKey) string {
			if len(keys) == 0 {
				return "unset"
			}
			names := make([]string, len(keys))
			for i, k := range keys {
				names[i] = k.Name
			}
			return fmt.Sprintf("%d keys: %s", len(keys), strings.Join(names, ", "))
		},
	}
}

// parseAPIKeys parses comma-separated name:key entries. Blank entries are
// skipped, so a trailing comma is harmless. Where there are several, a
// message names the entry by position. Messages never include a key, nor a
// name that failed to parse (it may be a key pasted without its name).
func parseAPIKeys(s string) ([]APIKey, error) {
	entries := strings.Split(s, ",")
	var keys []APIKey
	var errs []error
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		k, err := parseAPIKey(e)
		if err != nil {
			if len(entries) > 1 {
				err = fmt.Errorf("entry %d: %w", i+1, err)
			}
			errs = append(errs, err)
			continue
		}
		keys = append(keys, k)
	}
	return keys, errors.Join(errs...)
}

func parseAPIKey(e string) (APIKey, error) {
	name, key, ok := strings.Cut(e, ":")
	name, key = strings.TrimSpace(name), strings.TrimSpace(key)
	switch {
	case !ok:
		return APIKey{}, errors.New("want name:key")
	case len(name) > maxKeyName || !keyNameRE.MatchString(name):
		return APIKey{}, errors.New("want name:key, the name 1 to 64 letters, digits, '.', '_' or '-'")
	case len(key) < minKeyLen:
		return APIKey{}, fmt.Errorf("key of %q is shorter than %d characters (make one with: openssl rand -hex 32)", name, minKeyLen)
	case strings.ContainsAny(key, " \t\r\n"):
		return APIKey{}, fmt.Errorf("key of %q contains spaces", name)
	}
	return APIKey{Name: name, Key: key}, nil
}

// parseAPIKeysFile parses the contents of API_KEYS_FILE: one name:key per
// line (commas also separate, so an API_KEYS value works too), blank lines
// and # comments ignored.
func parseAPIKeysFile(data string) ([]APIKey, error) {
	var keys []APIKey
	var errs []error
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := parseAPIKeys(line)
		for _, err := range unjoin(err) {
			errs = append(errs, fmt.Errorf("line %d: %w", i+1, err))
		}
		keys = append(keys, k...)
	}
	return keys, errors.Join(errs...)
}

// checkAPIKeys refuses a name or a key given twice: either would make the
// name logged for a request ambiguous.
func checkAPIKeys(keys []APIKey) []error {
	var errs []error
	names := make(map[string]bool)
	holder := make(map[string]string) // key -> name
	for _, k := range keys {
		if names[k.Name] {
			errs = append(errs, fmt.Errorf("API keys: name %q is given twice", k.Name))
		}
		names[k.Name] = true
		if other, ok := holder[k.Key]; ok {
			errs = append(errs, fmt.Errorf("API keys: %q and %q have the same key", other, k.Name))
		}
		holder[k.Key] = k.Name
	}
	return errs
}

// unjoin lists the errors joined in err (one level), so that each can get
// its own prefix and line in the final message.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
