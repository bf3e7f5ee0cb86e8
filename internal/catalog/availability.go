package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// profileSources describes, for the error that refuses a call, which source
// Regions may call each profile.
var profileSources = map[string]string{
	profileGlobal: "any commercial Region",
	profileUS:     "us-* and ca-* Regions",
	profileUSGov:  "us-gov-* Regions",
	profileEU:     "eu-* Regions",
	profileAPAC:   "ap-* Regions",
	profileJP:     "ap-northeast-1 and ap-northeast-3",
	profileAU:     "ap-southeast-2 and ap-southeast-4",
}

// ProfileServes reports whether Bedrock lets a source Region call a
// cross-Region inference profile ("us", "eu", "global", …).
func ProfileServes(profile, region string) bool { return profileServes(profile, region) }

// profileServes reports whether Bedrock lets a source Region call a
// cross-Region inference profile: geographic profiles serve the Regions of
// their geography, global ones every commercial Region but GovCloud's.
func profileServes(profile, region string) bool {
	gov := strings.HasPrefix(region, "us-gov-")
	switch profile {
	case profileGlobal:
		return !gov && !strings.HasPrefix(region, "cn-")
	case profileUSGov:
		return gov
	case profileUS:
		return (!gov && strings.HasPrefix(region, "us-")) || strings.HasPrefix(region, "ca-")
	case profileEU:
		return strings.HasPrefix(region, "eu-")
	case profileAPAC:
		return strings.HasPrefix(region, "ap-")
	case profileJP:
		return region == "ap-northeast-1" || region == "ap-northeast-3"
	case profileAU:
		return region == "ap-southeast-2" || region == "ap-southeast-4"
	}
	return false
}

// servesBare reports whether region serves the model's bare ID on demand.
// Unknown Regions (nil) never refuse: missing data must not refuse what
// Bedrock accepts.
func (m *model) servesBare(region string) bool {
	if m.spec.RequiresProfile {
		return false
	}
	return m.spec.Regions == nil || slices.Contains(m.spec.Regions, region)
}

// chooseProfile picks how a short name is called from region: the
// Region's geographic profile, else global, else the bare ID where the
// Region serves it. ok is false when the Region can call the model no way.
func (m *model) chooseProfile(region string, geos []string, allowGlobal bool) (profile string, ok bool) {
	for _, g := range geos {
		if m.offers(g) {
			return g, true
		}
	}
	if allowGlobal && m.offers(profileGlobal) {
		return profileGlobal, true
	}
	return "", m.servesBare(region)
}

// offered says where a model can be called from, for the error that
// refuses it elsewhere.
func (m *model) offered() string {
	var parts []string
	if !m.spec.RequiresProfile {
		switch {
		case m.spec.Regions == nil:
		case len(m.spec.Regions) == 0:
		default:
			parts = append(parts, "by its model ID in "+strings.Join(m.spec.Regions, ", "))
		}
	}
	for _, p := range m.spec.Profiles {
		parts = append(parts, fmt.Sprintf("through the %q profile from %s", p, profileSources[p]))
	}
	if len(parts) == 0 {
		return "it is not offered on demand anywhere the catalog knows"
	}
	return "it is offered " + strings.Join(parts, "; ")
}

// notInRegion is the error for a model the Region cannot call. It is
// given before any call to Bedrock, which would refuse it less helpfully.
func (c *Catalog) notInRegion(m *model, how string) *gateway.Error {
	return &gateway.Error{
		Kind:  gateway.KindModelNotFound,
		Field: "model",
		Message: fmt.Sprintf("%s is not offered %sfrom %s, the Region this gateway calls (AWS_REGION); %s. "+
			"Change AWS_REGION to one of those, or pick another model with list_models (callable: true).",
			m.spec.Name, how, c.region, m.offered()),
	}
}

// priceLocations are the AWS Price List's "location" names of the Regions.
var priceLocations = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
	"us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
	"us-gov-west-1": "AWS GovCloud (US-West)", "us-gov-east-1": "AWS GovCloud (US-East)",
	"ca-central-1": "Canada (Central)", "sa-east-1": "South America (Sao Paulo)",
	"eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
	"eu-central-1": "EU (Frankfurt)", "eu-central-2": "EU (Zurich)", "eu-north-1": "EU (Stockholm)",
	"eu-south-1": "EU (Milan)", "eu-south-2": "EU (Spain)",
	"ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
	"ap-northeast-3": "Asia Pacific (Osaka)", "ap-south-1": "Asia Pacific (Mumbai)",
	"ap-south-2": "Asia Pacific (Hyderabad)", "ap-southeast-1": "Asia Pacific (Singapore)",
	"ap-southeast-2": "Asia Pacific (Sydney)", "ap-southeast-3": "Asia Pacific (Jakarta)",
	"ap-southeast-4": "Asia Pacific (Melbourne)", "il-central-1": "Israel (Tel Aviv)",
	"me-central-1": "Middle East (UAE)",
}

// PriceLocation is the AWS Price List's "location" attribute for a Region
// ("EU (Ireland)" for eu-west-1), or "" when the catalog does not know it.
func PriceLocation(region string) string { return priceLocations[region] }
