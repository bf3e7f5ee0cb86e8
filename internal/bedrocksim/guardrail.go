package bedrocksim

import (
	"encoding/json"
	"regexp"
	"slices"
	"sync"
)

// Guardrail trace settings and stream processing modes, as Bedrock names them.
var (
	guardrailTraces      = []string{"enabled", "disabled", "enabled_full"}
	guardrailStreamModes = []string{"sync", "async"}
)

// The GuardrailConfiguration patterns from Bedrock's API reference. Both
// members are optional and may be empty there (the account's enforced
// guardrails then apply), which the leading "|" of each pattern admits.
// They are compiled on first use: the simulator is linked into every
// gateway, and most never run it.
var (
	guardrailIDPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(|([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))$`)
	})
	guardrailVersionPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(|([1-9][0-9]{0,7})|(DRAFT))$`) })
)

// guardrailConfig is a request's guardrailConfig (GuardrailConfiguration,
// or GuardrailStreamConfiguration for ConverseStream).
type guardrailConfig struct {
	Identifier           string `json:"guardrailIdentifier"`
	Version              string `json:"guardrailVersion"`
	Trace                string `json:"trace"`
	StreamProcessingMode string `json:"streamProcessingMode"`
}

// parseGuardrail validates a guardrailConfig; nil means none was sent. Any
// well-formed identifier is taken to exist.
func parseGuardrail(raw json.RawMessage) (*guardrailConfig, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var g guardrailConfig
	if json.Unmarshal(raw, &g) != nil {
		return nil, validationError("%s", msgMalformed)
	}
	for _, m := range []struct {
		name    string
		v       string
		pattern *regexp.Regexp
	}{
		{"guardrailIdentifier", g.Identifier, guardrailIDPattern()},
		{"guardrailVersion", g.Version, guardrailVersionPattern()},
	} {
		if !m.pattern.MatchString(m.v) {
			expr := m.pattern.String()
			return nil, validationError("Value '%s' at 'guardrailConfig.%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s",
				m.v, m.name, expr[1:len(expr)-1])
		}
	}
	if g.Trace != "" && !slices.Contains(guardrailTraces, g.Trace) {
		return nil, validationError("Value '%s' at 'guardrailConfig.trace' failed to satisfy constraint: Member must satisfy enum value set: [enabled, disabled, enabled_full]", g.Trace)
	}
	if g.StreamProcessingMode != "" && !slices.Contains(guardrailStreamModes, g.StreamProcessingMode) {
		return nil, validationError("Value '%s' at 'guardrailConfig.streamProcessingMode' failed to satisfy constraint: Member must satisfy enum value set: [sync, async]", g.StreamProcessingMode)
	}
	return &g, nil
}

// Trace members, as Bedrock sends them when a guardrail with trace enabled
// intervenes: the assessment of the input by the guardrail's ID.
type (
	converseTrace struct {
		Guardrail guardrailTrace `json:"guardrail"`
	}
	guardrailTrace struct {
		InputAssessment map[string]guardrailAssessment `json:"inputAssessment"`
	}
	guardrailAssessment struct {
		ContentPolicy contentPolicy `json:"contentPolicy"`
	}
	contentPolicy struct {
		Filters []contentFilter `json:"filters"`
	}
	contentFilter struct {
		Type           string `json:"type"`
		Confidence     string `json:"confidence"`
		FilterStrength string `json:"filterStrength"`
		Action         string `json:"action"`
		Detected       bool   `json:"detected"`
	}
)

// interventionTrace is the trace of the simulated intervention: a content
// filter (VIOLENCE, confidence HIGH) blocked the input. It is nil unless
// the guardrail's trace is enabled.
func (g *guardrailConfig) interventionTrace() *converseTrace {
	if g == nil || g.Trace == "" || g.Trace == "disabled" {
		return nil
	}
	return &converseTrace{Guardrail: guardrailTrace{InputAssessment: map[string]guardrailAssessment{
		g.Identifier: {ContentPolicy: contentPolicy{Filters: []contentFilter{{
			Type: "VIOLENCE", Confidence: "HIGH", FilterStrength: "HIGH", Action: "BLOCKED", Detected: true,
		}}}},
	}}}
}
