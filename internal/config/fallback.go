package config

import "strings"

// Fallback is what a gateway that could not load its settings still needs
// to speak MCP over stdio and say what is wrong: every setting that parses,
// and the default in place of each one that does not. It never fails: a
// malformed command line, an unreadable .env or a bad value leaves
// defaults, except the transport: one that was asked for and cannot be
// read is left empty, since serving stdio to someone who asked for
// something else would be a surprise. Load's error is still the truth about the settings; Fallback
// only keeps the process answering, since an MCP server that exits at
// start is invisible in every client.
//
// Nothing from Fallback should spend money or accept connections from
// other machines: the caller refuses every call that would.
func Fallback(args []string, getenv func(string) string, dir string) *Config {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	flags, err := parseFlags(args)
	if err != nil {
		flags = map[string]string{}
		for _, a := range args {
			if strings.Contains(a, "transport") {
				flags["transport"] = "unreadable"
			}
		}
	}
	dotenv, _, err := readDotEnv(resolve(dir, ".env"))
	if err != nil {
		dotenv = nil
	}
	c := &Config{}
	l := loader{flags: flags, getenv: getenv, dotenv: dotenv, from: make(map[string]origin), bad: make(map[string]bool)}
	for i := range settings {
		s := &settings[i]
		if err := s.field.set(c, l.lookup(s).value); err != nil {
			_ = s.field.set(c, s.def) // the defaults parse: TestDefaultsParse
			if s.key() == "MCP_TRANSPORT" {
				c.Transport = ""
			}
		}
	}
	return c
}
