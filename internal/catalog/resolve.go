package catalog

import (
	"fmt"
	"strings"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// Inference-profile prefixes Bedrock puts before a base model ID.
const (
	profileGlobal = "global"
	profileUS     = "us"
	profileUSGov  = "us-gov"
	profileEU     = "eu"
	profileAPAC   = "apac"
	profileJP     = "jp"
	profileAU     = "au"
)

// validProfiles are the profile names a data file may use.
var validProfiles = []string{profileGlobal, profileUS, profileUSGov, profileEU, profileAPAC, profileJP, profileAU}

func isProfile(p string) bool {
	for _, v := range validProfiles {
		if p == v {
			return true
		}
	}
	return false
}

// geographies lists, in order of preference, the geographic profiles a
// Region may call, and whether it may call global profiles. The package
// documentation explains the choices.
func geographies(region string) (geos []string, allowGlobal bool) {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return []string{profileUSGov}, false
	case strings.HasPrefix(region, "us-"), strings.HasPrefix(region, "ca-"):
		return []string{profileUS}, true
	case strings.HasPrefix(region, "eu-"):
		return []string{profileEU}, true
	case region == "ap-northeast-1", region == "ap-northeast-3":
		return []string{profileJP, profileAPAC}, true
	case region == "ap-southeast-2", region == "ap-southeast-4":
		return []string{profileAU, profileAPAC}, true
	case strings.HasPrefix(region, "ap-"):
		return []string{profileAPAC}, true
	}
	return nil, true
}

// Resolve implements gateway.Catalog. It accepts:
//
//   - a short name, case-insensitively ("nova-pro"): the model as resolved
//     for the Region (see the package documentation);
//   - a base model ID ("anthropic.claude-3-haiku-20240307-v1:0"): called as
//     given, unless the model is only served through inference profiles, in
//     which case it resolves as its short name would;
//   - an inference-profile ID ("eu.amazon.nova-pro-v1:0",
//     "global.anthropic..."): called as given, at that profile's price;
//   - a foundation-model or system inference-profile ARN: passed through as
//     the ID to call, with the limits and price of the model it names.
//
// Anything else, including application-inference-profile ARNs (whose model
// the catalog cannot know), gives a *gateway.Error of kind
// gateway.KindUnknownModel whose message suggests the closest names.
func (c *Catalog) Resolve(name string) (gateway.Model, error) {
	given := strings.TrimSpace(name)
	if given == "" {
		return gateway.Model{}, gateway.Invalid("model", "a model is required; call list_models for the catalog")
	}
	key := strings.ToLower(given)
	if m, ok := c.byName[key]; ok {
		if !m.callable {
			return gateway.Model{}, c.notInRegion(m, "")
		}
		return m.gatewayModel(m.profile, m.resolved.ID), nil
	}
	if strings.HasPrefix(key, "arn:") {
		return c.resolveARN(given)
	}
	return c.resolveID(given, key, "")
}

// resolveID resolves a base or inference-profile ID (key is lower case). A
// non-empty arn is the ID to call instead of the canonical one.
func (c *Catalog) resolveID(given, key, arn string) (gateway.Model, error) {
	if m, ok := c.byID[key]; ok {
		if arn != "" {
			return m.gatewayModel("", arn), nil
		}
		if m.servesBare(c.region) {
			return m.gatewayModel("", m.spec.ModelID), nil
		}
		if m.callable {
			// The bare ID would fail on demand from this Region; call what
			// the short name would.
			return m.gatewayModel(m.profile, m.resolved.ID), nil
		}
		return gateway.Model{}, c.notInRegion(m, "")
	}
	profile, base, ok := strings.Cut(key, ".")
	if !ok || !isProfile(profile) {
		return gateway.Model{}, c.unknown(given, "")
	}
	m, ok := c.byID[base]
	if !ok {
		return gateway.Model{}, c.unknown(given, "")
	}
	if !m.offers(profile) {
		return gateway.Model{}, c.unknown(given, notOffered(m, profile))
	}
	if !profileServes(profile, c.region) {
		return gateway.Model{}, c.notInRegion(m, fmt.Sprintf("through the %q profile (which serves %s) ", profile, profileSources[profile]))
	}
	id := m.callID(profile)
	if arn != "" {
		id = arn
	}
	return m.gatewayModel(profile, id), nil
}

// resolveARN resolves arn:<partition>:bedrock:<region>:<account>:<resource>.
func (c *Catalog) resolveARN(given string) (gateway.Model, error) {
	parts := strings.SplitN(given, ":", 6)
	if len(parts) != 6 || parts[2] != "bedrock" {
		return gateway.Model{}, c.unknown(given, "not a Bedrock ARN")
	}
	kind, id, _ := strings.Cut(parts[5], "/")
	switch kind {
	case "foundation-model":
		if _, ok := c.byID[strings.ToLower(id)]; !ok {
			return gateway.Model{}, c.unknown(given, "")
		}
		return c.resolveID(given, strings.ToLower(id), given)
	case "inference-profile":
		// A system profile ID always has a prefix; a bare ID here is unknown.
		if _, ok := c.byID[strings.ToLower(id)]; ok {
			return gateway.Model{}, c.unknown(given, "")
		}
		return c.resolveID(given, strings.ToLower(id), given)
	case "application-inference-profile":
		return gateway.Model{}, c.unknown(given,
			"the catalog cannot know which model an application inference profile uses; name the model or a system inference profile instead")
	}
	return gateway.Model{}, c.unknown(given, "")
}

// notOffered explains that a model exists but not through a profile.
func notOffered(m *model, profile string) string {
	if len(m.spec.Profiles) == 0 {
		return fmt.Sprintf("%s is not offered through inference profiles; use %q", m.spec.Name, m.spec.ModelID)
	}
	return fmt.Sprintf("%s is not offered through the %q inference profile, only %s; name it %q to get the right one for this Region",
		m.spec.Name, profile, strings.Join(m.spec.Profiles, ", "), m.spec.Name)
}

// unknown builds the unknown-model error: what was given, then why if
// known, else up to three close catalog names.
func (c *Catalog) unknown(given, why string) *gateway.Error {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown model %q", shorten(given))
	if why != "" {
		b.WriteString(": ")
		b.WriteString(why)
		b.WriteString(".")
	} else if s := c.suggest(given, 3); len(s) > 0 {
		b.WriteString("; did you mean ")
		for i, n := range s {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", n)
		}
		b.WriteString("?")
	} else {
		b.WriteString(".")
	}
	b.WriteString(" Call list_models for the full catalog.")
	return &gateway.Error{Kind: gateway.KindUnknownModel, Field: "model", Message: b.String()}
}
