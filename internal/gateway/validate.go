package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// media is what Bedrock takes of one kind of binary content block.
type media struct {
	kind       string // "image" or "document", for messages
	capability string // list_models capability that names models taking it
	supported  func(Model) bool
	formats    []string
	maxBytes   int // per block
	maxCount   int // per request
}

// Bedrock's limits on the images and documents of one Converse request.
var (
	imageMedia = media{
		kind: "image", capability: "images", supported: func(m Model) bool { return m.SupportsImages },
		formats: []string{"png", "jpeg", "gif", "webp"}, maxBytes: 3_750_000, maxCount: 20,
	}
	documentMedia = media{
		kind: "document", capability: "documents", supported: func(m Model) bool { return m.SupportsDocuments },
		formats: []string{"pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"}, maxBytes: 4_500_000, maxCount: 5,
	}
)

var (
	// Bedrock accepts document names of letters, digits, single spaces,
	// hyphens, parentheses and square brackets; tool names of letters,
	// digits, underscores and hyphens.
	// The length of a tool name is checked apart: compiled at every start,
	// {1,64} cost 60 KB and 860 allocations of the start-up heap.
	documentName = regexp.MustCompile(`^[A-Za-z0-9\-()\[\]]+( [A-Za-z0-9\-()\[\]]+)*$`)
	toolName     = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// Bedrock's pattern for a guardrail identifier: an ID or its ARN,
	// compiled on first use (most gateways name no guardrail).
	guardrailID = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+)$`)
	})
)

// maxToolName is the longest tool name Bedrock accepts.
const maxToolName = 64

// DocumentName makes a title or file name one Bedrock accepts as a
// document's name (documentName above): every run of other characters
// becomes one space; "document" if nothing is left.
func DocumentName(title string) string {
	var b strings.Builder
	space := false
	for _, r := range title {
		switch {
		case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-()[]", r)):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	if b.Len() == 0 {
		return "document"
	}
	return b.String()
}

// validate checks a request against the model it names and turns it into
// the Call a provider makes. Every rule lives here, so that nothing invalid
// reaches Bedrock and every refusal says what to change.
func validate(req *Request, m Model, maxInputBytes int) (*Call, error) {
	if m.Status == StatusEndOfLife {
		msg := fmt.Sprintf("model %q has reached end of life on Bedrock", m.Name)
		if m.EndOfLife != "" {
			msg = fmt.Sprintf("model %q reached end of life on Bedrock on %s", m.Name, m.EndOfLife)
		}
		if m.Replacement != "" {
			msg += fmt.Sprintf("; use %q instead", m.Replacement)
		}
		return nil, &Error{Kind: KindEndOfLife, Field: "model", Message: msg}
	}
	if why := notCallable(m); why != "" {
		return nil, Invalid("model", "%s", why)
	}
	if len(req.Messages) == 0 {
		return nil, Invalid("messages", `must hold at least one message, e.g. [{"role":"user","content":"Hello"}]`)
	}
	tier, err := serviceTier(req.ServiceTier, m)
	if err != nil {
		return nil, err
	}

	c := &Call{
		ModelID:          m.ID,
		SupportsSystem:   m.SupportsSystem,
		StopSequences:    req.StopSequences,
		Messages:         make([]Message, 0, len(req.Messages)),
		Guardrail:        req.Guardrail,
		AdditionalFields: req.AdditionalFields,
		ServiceTier:      tier,
	}
	v := contentCheck{model: m, textBytes: len(req.System)}
	if strings.TrimSpace(req.System) != "" {
		c.System = append(c.System, req.System)
	}
	calls := map[string]bool{} // tool call IDs made so far by the assistant
	for i, msg := range req.Messages {
		field := "messages[" + strconv.Itoa(i) + "]"
		if err := v.message(field, &msg); err != nil {
			return nil, err
		}
		switch msg.Role {
		case RoleSystem:
			if len(msg.Blocks) > 0 {
				return nil, Invalid(field+".content", "a system message must be text")
			}
			c.System = append(c.System, msg.Content)
			continue
		case RoleUser, RoleAssistant, RoleTool:
		default:
			return nil, Invalid(field+".role", "must be one of %q, %q, %q or %q, got %q", RoleSystem, RoleUser, RoleAssistant, RoleTool, msg.Role)
		}
		if len(c.Messages) == 0 && msg.Role != RoleUser {
			return nil, Invalid(field+".role", "the first non-system message must come from the user, got %q", msg.Role)
		}
		for _, tc := range msg.ToolCalls {
			calls[tc.ID] = true
		}
		if (msg.Role == RoleTool || len(msg.ToolCalls) > 0) && len(req.Tools) == 0 {
			return nil, Invalid("tools", "the conversation holds tool calls, so Bedrock needs the tools too: send the same tools with every request of a tool loop")
		}
		if msg.Role == RoleTool && !calls[msg.ToolCallID] {
			return nil, Invalid(field+".tool_call_id", "%q answers no tool call of an earlier assistant message", msg.ToolCallID)
		}
		c.Messages = append(c.Messages, msg)
	}
	if len(c.Messages) == 0 {
		return nil, Invalid("messages", "hold only system messages; add a user message")
	}
	if maxInputBytes > 0 && v.textBytes > maxInputBytes {
		return nil, Invalid("messages", "total input is %d bytes, above the gateway's limit of %d; shorten the conversation", v.textBytes, maxInputBytes)
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
	if err := validateTools(req, m, c); err != nil {
		return nil, err
	}
	if (req.CacheSystem || req.CacheTools) && !m.SupportsPromptCaching {
		return nil, Invalid("prompt_cache", "%s does not support Bedrock prompt caching; drop it or pick a model with supports_prompt_caching", m.Name)
	}
	c.CacheSystem, c.CacheTools = req.CacheSystem, req.CacheTools
	if req.CacheSystem && len(c.System) == 0 {
		return nil, Invalid("prompt_cache", "asks to cache the system prompt, but there is none")
	}
	if len(req.AdditionalFields) > 0 && !isJSONObject(req.AdditionalFields) {
		return nil, Invalid("additional_fields", "must be a JSON object of model-specific fields, e.g. {\"top_k\": 50}")
	}
	if err := checkRules(req, m, c); err != nil {
		return nil, err
	}
	if g := req.Guardrail; g != nil {
		if g.ID == "" || g.Version == "" {
			return nil, Invalid("guardrail", "needs both an identifier and a version (e.g. \"1\" or \"DRAFT\")")
		}
		if !guardrailID().MatchString(g.ID) {
			return nil, Invalid("guardrail.id", "%q is not a Bedrock guardrail identifier: lower-case letters and digits, or the guardrail's ARN", g.ID)
		}
	}
	if err := checkContextWindow(c, m); err != nil {
		return nil, err
	}
	return c, nil
}

// contentCheck validates message contents against the model and Bedrock's
// limits, counting as it goes.
type contentCheck struct {
	model             Model
	textBytes         int
	images, documents int
}

func (v *contentCheck) message(field string, msg *Message) error {
	if len(msg.Blocks) > 0 && msg.Content != "" {
		return Invalid(field+".content", "give either text or a list of blocks, not both")
	}
	if len(msg.ToolCalls) > 0 && msg.Role != RoleAssistant {
		return Invalid(field+".tool_calls", "only an assistant message makes tool calls")
	}
	if msg.ToolCallID != "" && msg.Role != RoleTool {
		return Invalid(field+".tool_call_id", "belongs on a message with role %q", RoleTool)
	}
	if msg.Role == RoleTool && msg.ToolCallID == "" {
		return Invalid(field+".tool_call_id", "is required on a %q message: the id of the tool call it answers", RoleTool)
	}
	for j, tc := range msg.ToolCalls {
		f := field + ".tool_calls[" + strconv.Itoa(j) + "]"
		if tc.ID == "" || tc.Name == "" {
			return Invalid(f, "needs the id and name the model gave")
		}
		if len(tc.Arguments) > 0 && !isJSONObject(tc.Arguments) {
			return Invalid(f+".arguments", "must be a JSON object")
		}
	}
	if len(msg.Blocks) == 0 {
		if strings.TrimSpace(msg.Content) == "" && len(msg.ToolCalls) == 0 {
			return Invalid(field+".content", "must not be empty")
		}
		v.textBytes += len(msg.Content)
		return nil
	}
	content := false
	for j, b := range msg.Blocks {
		if err := v.block(field+".content["+strconv.Itoa(j)+"]", msg.Role, b); err != nil {
			return err
		}
		content = content || b.Type != BlockCachePoint
	}
	if !content {
		return Invalid(field+".content", "holds no text, image or document")
	}
	return nil
}

func (v *contentCheck) block(field, role string, b Block) error {
	m := v.model
	switch b.Type {
	case BlockText:
		if strings.TrimSpace(b.Text) == "" {
			return Invalid(field+".text", "must not be empty")
		}
		v.textBytes += len(b.Text)
	case BlockImage:
		return v.media(field, role, b, &imageMedia, &v.images)
	case BlockDocument:
		if err := v.media(field, role, b, &documentMedia, &v.documents); err != nil {
			return err
		}
		if !documentName.MatchString(b.Name) {
			return Invalid(field+".name", "%q: give a name of letters, digits, single spaces, hyphens, parentheses or square brackets (e.g. \"report\")", b.Name)
		}
	case BlockCachePoint:
		if !m.SupportsPromptCaching {
			return Invalid(field, "%s does not support Bedrock prompt caching; remove the cache_point", m.Name)
		}
	default:
		return Invalid(field+".type", "%q is not a content type; use text, image, document or cache_point", b.Type)
	}
	return nil
}

// media checks an image or document block against the model and Bedrock's
// limits; count is the request's tally of that kind so far.
func (v *contentCheck) media(field, role string, b Block, k *media, count *int) error {
	if !k.supported(v.model) {
		return Invalid(field, "%s does not accept %ss; pick a model with supports_%s (list_models capability=%s)", v.model.Name, k.kind, k.capability, k.capability)
	}
	if role != RoleUser {
		return Invalid(field, "%ss go in user messages", k.kind)
	}
	if !slices.Contains(k.formats, b.Format) {
		return Invalid(field+".format", "%q is not a format Bedrock takes for a %s; use one of %s", b.Format, k.kind, strings.Join(k.formats, ", "))
	}
	if len(b.Data) == 0 || len(b.Data) > k.maxBytes {
		return Invalid(field+".data", "%s is %d bytes; Bedrock takes 1 to %d", k.kind, len(b.Data), k.maxBytes)
	}
	if *count++; *count > k.maxCount {
		return Invalid(field, "more than %d %ss in one request", k.maxCount, k.kind)
	}
	return nil
}

func validateTools(req *Request, m Model, c *Call) error {
	if len(req.Tools) == 0 {
		if req.ToolChoice != nil {
			return Invalid("tool_choice", "needs tools to choose from")
		}
		if req.CacheTools {
			return Invalid("prompt_cache", "asks to cache the tools, but there are none")
		}
		return nil
	}
	if !m.SupportsToolUse {
		return Invalid("tools", "%s does not support tool use; pick a model with supports_tool_use (list_models capability=tool_use)", m.Name)
	}
	seen := map[string]bool{}
	c.Tools = make([]Tool, len(req.Tools))
	for i, t := range req.Tools {
		field := fmt.Sprintf("tools[%d]", i)
		if len(t.Name) > maxToolName || !toolName.MatchString(t.Name) {
			return Invalid(field+".name", "%q: use 1 to 64 letters, digits, underscores or hyphens", t.Name)
		}
		if seen[t.Name] {
			return Invalid(field+".name", "%q is defined twice", t.Name)
		}
		seen[t.Name] = true
		if len(t.InputSchema) == 0 {
			t.InputSchema = json.RawMessage(`{"type":"object"}`)
		} else if !isJSONObject(t.InputSchema) {
			return Invalid(field+".input_schema", "must be a JSON Schema object, e.g. {\"type\":\"object\",\"properties\":{}}")
		}
		c.Tools[i] = t
	}
	if tc := req.ToolChoice; tc != nil {
		switch tc.Mode {
		case ToolChoiceAuto, ToolChoiceAny:
		case ToolChoiceTool:
			if !seen[tc.Name] {
				return Invalid("tool_choice", "names %q, which is not among the tools", tc.Name)
			}
		default:
			return Invalid("tool_choice", "must be \"auto\", \"any\" or {\"name\": TOOL}")
		}
		c.ToolChoice = tc
	}
	return nil
}

func isJSONObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 1 && b[0] == '{' && json.Valid(b)
}

// serviceTier checks a requested service tier against the model's: a tier
// the model does not offer is refused here, before Bedrock. The default
// tier is sent as no tier at all.
func serviceTier(tier string, m Model) (string, error) {
	if tier == "" || tier == TierDefault {
		return "", nil
	}
	offered := append([]string{TierDefault}, m.ServiceTiers...)
	if _, ok := ParseTier(tier); !ok {
		return "", Invalid("service_tier", "%q is not a Bedrock service tier; use one of %s, %s, %s or %s",
			tier, TierDefault, TierPriority, TierFlex, TierReserved)
	}
	if !slices.Contains(m.ServiceTiers, tier) {
		return "", Invalid("service_tier", "%s does not offer the %q service tier; it offers %s (list_models service_tiers)",
			m.Name, tier, strings.Join(offered, ", "))
	}
	return tier, nil
}
