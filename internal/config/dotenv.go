package config

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/llm-gateway/llm-gateway/internal/boundedfile"
)

// The .env format read here is the common subset that shells, Docker
// Compose and python-dotenv agree on:
//
//	# a comment
//	KEY=value            # an inline comment needs a space before the #
//	export KEY=value
//	KEY='literal, # and \n kept as is'
//	KEY="escapes: \n \r \t \\ \" are understood"
//
// There is no variable expansion and no multi-line value. A key given twice
// takes its last value. Errors name the file and line and never the value.

// envNameRE is what a shell accepts as a variable name.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// readDotEnv reads the .env file at path. A missing file is no error and
// reports found false; bad lines are all reported, joined, and the good
// ones are still returned.
func readDotEnv(path string) (vals map[string]string, found bool, err error) {
	data, err := boundedfile.Read(path, maxSettingsFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read .env: %w", err)
	}
	vals, err = parseDotEnv(string(data), path)
	return vals, true, err
}

// parseDotEnv parses the contents of a .env file; name prefixes messages.
func parseDotEnv(data, name string) (map[string]string, error) {
	data = strings.TrimPrefix(data, "\uFEFF") // editors on Windows add a BOM
	vals := make(map[string]string)
	var errs []error
	for i, line := range strings.Split(data, "\n") {
		key, val, err := parseDotEnvLine(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, i+1, err))
			continue
		}
		if key != "" {
			vals[key] = val
		}
	}
	return vals, errors.Join(errs...)
}

// parseDotEnvLine returns an empty key for a blank or comment line.
func parseDotEnvLine(line string) (key, val string, err error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", "", nil
	}
	if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		line = strings.TrimSpace(rest)
	}
	key, val, ok := strings.Cut(line, "=")
	key = strings.TrimSpace(key)
	if !ok || !envNameRE.MatchString(key) {
		return "", "", errors.New("want KEY=VALUE, KEY made of letters, digits and _")
	}
	val, err = parseDotEnvValue(strings.TrimLeft(val, " \t"))
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", key, err)
	}
	return key, val, nil
}

func parseDotEnvValue(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", errors.New("missing closing ' in the value")
		}
		return v[1 : 1+end], afterQuote(v[2+end:])
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			switch c := v[i]; {
			case c == '"':
				return b.String(), afterQuote(v[i+1:])
			case c == '\\' && i+1 < len(v):
				i++
				switch e := v[i]; e {
				case 'n':
					b.WriteByte('\n')
				case 'r':
					b.WriteByte('\r')
				case 't':
					b.WriteByte('\t')
				case '\\', '"', '$':
					b.WriteByte(e)
				default: // unknown escapes stay as written, as in python-dotenv
					b.WriteByte('\\')
					b.WriteByte(e)
				}
			default:
				b.WriteByte(c)
			}
		}
		return "", errors.New(`missing closing " in the value`)
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, "\t#"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}

// afterQuote allows only spaces and a comment after a quoted value.
func afterQuote(rest string) error {
	rest = strings.TrimSpace(rest)
	if rest == "" || rest[0] == '#' {
		return nil
	}
	return errors.New("unexpected text after the closing quote")
}
