package anthropicapi

import (
	"regexp"
	"strings"
	"sync"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

var (
	// A snapshot date at the end of an Anthropic model name:
	// claude-sonnet-4-5-20250929.
	dateSuffix = regexp.MustCompile(`-(20\d{6})$`)
	// Bedrock's version at the end of a model ID: -v1:0, -v2:0, -v1.
	versionSuffix = regexp.MustCompile(`-v\d+(:\d+)?$`)
	// Claude Code's context-window tag: claude-sonnet-4-6[1m].
	contextTag = regexp.MustCompile(`\[[0-9a-z]+\]$`)
)

// resolveModel finds the catalog model an Anthropic model name means. A
// name the catalog resolves as it is (a catalog name, a Bedrock model or
// profile ID) is kept. Otherwise the name is matched against every catalog
// entry by the name Anthropic's API gives that model: the Bedrock base ID
// without its provider prefix and version (anthropic.claude-sonnet-4-5-
// 20250929-v1:0 is claude-sonnet-4-5-20250929), or the catalog name. A
// dated name also matches the catalog name without the date, and an alias
// ending in -latest the name without it. Nothing here names a model, so
// models added to the catalog resolve the same way. A name that matches
// nothing is returned as given, for the gateway to refuse with its
// suggestions.
func resolveModel(cat gateway.Catalog, models func() []catalog.Entry, name string) string {
	given := strings.TrimSpace(name)
	if _, err := cat.Resolve(given); err == nil || gateway.KindOf(err) != gateway.KindUnknownModel {
		return given
	}
	entries := models() // a copy of the catalog: only for names it does not know as they are
	want := strings.ToLower(contextTag.ReplaceAllString(given, ""))
	want = strings.TrimSuffix(want, "-latest")
	undated := dateSuffix.ReplaceAllString(want, "")
	for _, e := range entries {
		if anthropicName(e.BaseModelID) == want {
			return e.Name
		}
	}
	for _, e := range entries {
		n := strings.ToLower(e.Name)
		if n == want || n == undated || anthropicName(e.BaseModelID) == undated {
			return e.Name
		}
	}
	return given
}

// anthropicName is the name Anthropic's own API gives the model of a
// Bedrock base model ID, or "" for another provider's model.
func anthropicName(baseID string) string {
	rest, ok := strings.CutPrefix(strings.ToLower(baseID), "anthropic.")
	if !ok {
		return ""
	}
	return versionSuffix.ReplaceAllString(rest, "")
}

// maxResolved bounds the names a modelNames remembers: names come from
// callers, and a caller sending a new one each time must not grow memory.
const maxResolved = 1024

// modelNames remembers what resolveModel made of each name asked for. The
// catalog does not change after it is loaded, and a name it does not know
// as given (Claude Code's dated names, on every call) costs a scan of the
// catalog and the search for suggestions each time it is resolved.
type modelNames struct {
	cat    gateway.Catalog
	models func() []catalog.Entry

	mu    sync.Mutex
	known map[string]string
}

func (n *modelNames) resolve(name string) string {
	n.mu.Lock()
	got, ok := n.known[name]
	n.mu.Unlock()
	if ok {
		return got
	}
	got = resolveModel(n.cat, n.models, name)
	n.mu.Lock()
	if n.known == nil {
		n.known = make(map[string]string)
	}
	if len(n.known) < maxResolved {
		n.known[name] = got
	}
	n.mu.Unlock()
	return got
}
