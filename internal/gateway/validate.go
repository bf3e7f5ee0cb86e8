package gateway

import (
	"fmt"
	"strings"
)

// validate checks a request against the model it names and turns it into
// the Call a provider makes. Every rule lives here, so that nothing invalid
// reaches Bedrock and every refusal says what to change.
func validate(req *Request, m Model, maxInputBytes int) (*Call, error) {
	switch m.Status {
	case StatusEndOfLife:
		msg := fmt.Sprintf("model %q has reached end of life on Bedrock", m.Name)
		if m.EndOfLife != "" {
			msg = fmt.Sprintf("model %q reached end of life on Bedrock on %s", m.Name, m.EndOfLife)
		}
		if m.Replacement != "" {
			msg += fmt.Sprintf("; use %q instead", m.Replacement)
		}
		return nil, &Error{Kind: KindEndOfLife, Field: "model", Message: msg}
	}
	if len(req.Messages) == 0 {
		return nil, Invalid("messages", `must hold at least one message, e.g. [{"role":"user","content":"Hello"}]`)
	}

	c := &Call{
		ModelID:        m.ID,
		SupportsSystem: m.SupportsSystem,
		StopSequences:  req.StopSequences,
		Messages:       make([]Message, 0, len(req.Messages)),
	}
	size := len(req.System)
	if strings.TrimSpace(req.System) != "" {
		c.System = append(c.System, req.System)
	}
	for i, msg := range req.Messages {
		field := fmt.Sprintf("messages[%d]", i)
		if strings.TrimSpace(msg.Content) == "" {
			return nil, Invalid(field+".content", "must not be empty")
		}
		size += len(msg.Content)
		switch msg.Role {
		case RoleSystem:
			c.System = append(c.System, msg.Content)
		case RoleUser, RoleAssistant:
			if len(c.Messages) == 0 && msg.Role != RoleUser {
				return nil, Invalid(field+".role", "the first non-system message must come from the user, got %q", msg.Role)
			}
			c.Messages = append(c.Messages, msg)
		default:
			return nil, Invalid(field+".role", "must be one of %q, %q or %q, got %q", RoleSystem, RoleUser, RoleAssistant, msg.Role)
		}
	}
	if len(c.Messages) == 0 {
		return nil, Invalid("messages", "hold only system messages; add a user message")
	}
	if maxInputBytes > 0 && size > maxInputBytes {
		return nil, Invalid("messages", "total input is %d bytes, above the gateway's limit of %d; shorten the conversation", size, maxInputBytes)
	}

	if t := req.Temperature; t != nil {
		if !(*t >= m.MinTemperature && *t <= m.MaxTemperature) {
			return nil, Invalid("temperature", "%v is outside %s's range %v to %v", *t, m.Name, m.MinTemperature, m.MaxTemperature)
		}
		c.Temperature = t
	}
	if p := req.TopP; p != nil {
		if !(*p >= 0 && *p <= 1) {
			return nil, Invalid("top_p", "%v is outside the range 0 to 1", *p)
		}
		c.TopP = p
	}
	switch {
	case req.MaxTokens < 0 || req.MaxTokens > m.MaxOutputTokens:
		return nil, Invalid("max_tokens", "%d is outside %s's range 1 to %d", req.MaxTokens, m.Name, m.MaxOutputTokens)
	case req.MaxTokens > 0:
		c.MaxTokens = req.MaxTokens
	case m.DefaultMaxTokens > 0:
		c.MaxTokens = m.DefaultMaxTokens
	default:
		c.MaxTokens = m.MaxOutputTokens
	}
	for i, s := range req.StopSequences {
		if s == "" {
			return nil, Invalid(fmt.Sprintf("stop_sequences[%d]", i), "must not be empty")
		}
	}
	return c, nil
}
