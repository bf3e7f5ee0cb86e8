package gateway

import (
	"fmt"
	"unicode/utf8"
)

// MaxNameBytes bounds a model name (and each fallback model) a request may
// give, and the agent name that reaches tables, labels and log lines.
// Catalog names, Bedrock model IDs and inference-profile ARNs are far
// shorter; without a bound, an agent choosing 1 MiB names grows every
// per-model table and every log line it touches.
const MaxNameBytes = 256

// checkNames refuses a request whose model names are longer than any real
// one, before they are logged, resolved or suggested against. The message
// does not repeat the name.
func checkNames(req *Request) error {
	if len(req.Model) > MaxNameBytes {
		return &Error{Kind: KindInvalidRequest, Field: "model",
			Message: fmt.Sprintf("model name of %d bytes; names are at most %d bytes: call list_models for the names", len(req.Model), MaxNameBytes)}
	}
	for i, m := range req.FallbackModels {
		if len(m) > MaxNameBytes {
			return &Error{Kind: KindInvalidRequest, Field: fmt.Sprintf("fallback_models[%d]", i),
				Message: fmt.Sprintf("model name of %d bytes; names are at most %d bytes", len(m), MaxNameBytes)}
		}
	}
	return nil
}

// boundName cuts name to MaxNameBytes at a character boundary, marking the
// cut with "…", for names the caller chooses freely (an MCP client's
// clientInfo.name) that are not worth refusing a call over.
func boundName(name string) string {
	if len(name) <= MaxNameBytes {
		return name
	}
	cut := MaxNameBytes - len("…")
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + "…"
}
