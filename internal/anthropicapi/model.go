package anthropicapi

import (
	"regexp"
	"strings"

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
