package config

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Usage writes the help that `llm-gateway --help` prints: every setting
// with its flag, its variables, its default and what it does.
func Usage(w io.Writer) {
	var b strings.Builder
	b.WriteString(`Usage: llm-gateway [flags]

llm-gateway is an MCP server through which AI agents call AWS Bedrock models.

Each setting is taken from its flag if given, else from the environment, else
from a .env file in the working directory (which never overrides the
environment), else from its default. An empty variable counts as unset.
Booleans: true or false (also 1/0, yes/no, on/off), any case; a bare flag
means true. Durations: whole seconds (3600) or Go durations (90s, 1h30m).
Sizes: bytes (1048576) or with a KiB, MiB or GiB suffix (64MiB).
`)
	group := ""
	for i := range settings {
		s := &settings[i]
		if s.group != group {
			group = s.group
			fmt.Fprintf(&b, "\n%s:\n", group)
		}
		b.WriteString("  " + s.synopsis() + "\n")
		wrap(&b, s.help, "        ", 80)
	}
	b.WriteString("  -h, --help\n")
	wrap(&b, "Print this help and exit.", "        ", 80)
	_, _ = io.WriteString(w, b.String())
}

// synopsis is a setting's first line in Usage, e.g.
// "--cache-ttl SECONDS, CACHE_TTL (default 3600)".
func (s *setting) synopsis() string {
	var parts []string
	if s.flag != "" {
		switch {
		case !s.field.isBool():
			parts = append(parts, "--"+s.flag+" "+s.arg)
		case len(s.envs) > 0:
			parts = append(parts, "--"+s.flag+"[=BOOL]")
		default: // --version: a bare switch
			parts = append(parts, "--"+s.flag)
		}
	}
	if len(s.envs) > 0 {
		parts = append(parts, strings.Join(s.envs, " or "))
	}
	line := strings.Join(parts, ", ")
	switch {
	case s.secret:
		line += " (secret: environment or .env only)"
	case s.def != "" && len(s.envs) > 0:
		line += " (default " + s.def + ")"
	}
	return line
}

// wrap writes text in lines of at most width columns, each starting with
// indent.
func wrap(b *strings.Builder, text, indent string, width int) {
	n := 0
	for _, word := range strings.Fields(text) {
		if n > 0 && n+1+len(word) > width {
			b.WriteString("\n")
			n = 0
		}
		if n == 0 {
			b.WriteString(indent + word)
			n = len(indent) + len(word)
			continue
		}
		b.WriteString(" " + word)
		n += 1 + len(word)
	}
	b.WriteString("\n")
}

// Redacted returns every setting by its variable name (AWS_REGION,
// CACHE_TTL, ...) as text, safe to log or show: secrets read "set" or
// "unset", and API_KEYS lists the names of the keys' holders only.
func (c *Config) Redacted() map[string]string {
	m := make(map[string]string, len(settings))
	c.eachRedacted(func(key, val string) { m[key] = val })
	return m
}

// eachRedacted calls f for every setting that has a variable, in table
// order.
func (c *Config) eachRedacted(f func(key, val string)) {
	for i := range settings {
		s := &settings[i]
		if len(s.envs) == 0 {
			continue // --version is an action, not a setting
		}
		if s.secret {
			f(s.key(), s.field.redacted(c))
		} else {
			f(s.key(), s.field.format(c))
		}
	}
}

// String shows the settings as KEY=value pairs, secrets redacted, so that
// printing a Config never leaks one.
func (c Config) String() string {
	var parts []string
	c.eachRedacted(func(key, val string) { parts = append(parts, key+"="+quoteIfNeeded(val)) })
	return strings.Join(parts, " ")
}

// GoString keeps %#v from printing the secret fields.
func (c Config) GoString() string { return "config.Config{" + c.String() + "}" }

// LogValue logs the settings as a group keyed by variable name, secrets
// redacted.
func (c Config) LogValue() slog.Value {
	var attrs []slog.Attr
	c.eachRedacted(func(key, val string) { attrs = append(attrs, slog.String(key, val)) })
	return slog.GroupValue(attrs...)
}
