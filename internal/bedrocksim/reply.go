package bedrocksim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// Stop reasons, as Bedrock spells them.
const (
	stopEndTurn         = "end_turn"
	stopMaxTokens       = "max_tokens"
	stopStopSequence    = "stop_sequence"
	stopToolUse         = "tool_use"
	stopGuardrail       = "guardrail_intervened"
	stopContentFiltered = "content_filtered"
)

// charsPerToken is the simulator's tokenizer: one token per four characters,
// rounded up, close enough to real tokenizers on English text.
const charsPerToken = 4

// promptQuoteRunes is how much of the last user text a reply quotes.
const promptQuoteRunes = 60

// fillerWords feed the deterministic replies.
const fillerWords = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike " +
	"november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu " +
	"amber basalt cedar dune ember fjord glacier harbor island jasper kelp lagoon meadow " +
	"nebula orchid prairie quartz river savanna tundra umber valley willow yarrow zephyr"

// answer is one simulated model output: a text block, tool uses after it,
// or both.
type answer struct {
	reasoning  string // a reasoning block before the text, when reasoning was asked for
	text       string
	toolUses   []toolUse
	stopReason string
	usage      usage
	trace      *converseTrace // only when a guardrail with trace enabled intervened
	tier       string         // the service tier that served it; "" when none was asked
}

// served is the answer's serviceTier member: present when a tier was asked
// for (or a marker names one), as Bedrock reports the tier it used.
func (a *answer) served() *serviceTier {
	if a.tier == "" {
		return nil
	}
	return &serviceTier{Type: a.tier}
}

// hasText reports whether the answer starts with a text block: always,
// unless it is made of tool uses alone.
func (a *answer) hasText() bool { return a.text != "" || len(a.toolUses) == 0 }

// usage is Bedrock's TokenUsage. The cache members appear only when the
// request holds a cachePoint, as with Bedrock.
type usage struct {
	InputTokens           int  `json:"inputTokens"`
	OutputTokens          int  `json:"outputTokens"`
	TotalTokens           int  `json:"totalTokens"`
	CacheReadInputTokens  *int `json:"cacheReadInputTokens,omitempty"`
	CacheWriteInputTokens *int `json:"cacheWriteInputTokens,omitempty"`
}

func tokens(chars int) int { return (chars + charsPerToken - 1) / charsPerToken }

// compose builds the answer to a validated request. modelID is the ID as
// sent (it appears in the text); base keys the prompt cache.
func (s *Server) compose(modelID, base string, p prepared, body []byte) answer {
	req, d, maxTokens := p.req, p.directives, p.maxTokens
	stops := req.stopSequences()
	var a answer
	switch {
	case d.guardrail != "":
		a.text, a.stopReason = msgGuardrailRefuse, d.guardrail
		if d.guardrailDefault && p.guardrail == nil {
			// No guardrail to intervene: the model's own filter did.
			a.stopReason = stopContentFiltered
		}
		if a.stopReason == stopGuardrail {
			a.trace = p.guardrail.interventionTrace()
		}
	case d.echo:
		// Never truncated: tests read the echo to check how the gateway
		// mapped a request, maxTokens included.
		a.text, a.stopReason = echoText(body), stopEndTurn
	case d.describe:
		a.text, a.stopReason = describeText(p.media), stopEndTurn
	case len(p.calls) > 0:
		// A reply marker is said before the calls; a reply cut short by
		// the output limit or a stop sequence never reaches them.
		a.stopReason = stopToolUse
		if d.hasReply {
			if a.text, a.stopReason = limit(d.reply, stops, maxTokens); a.stopReason == stopEndTurn {
				a.stopReason = stopToolUse
			}
		}
		if a.stopReason == stopToolUse {
			a.toolUses = p.calls
		}
	case d.hasReply:
		a.text, a.stopReason = limit(d.reply, stops, maxTokens)
	case len(req.lastToolResults()) > 0:
		a.text, a.stopReason = limit(toolResultAnswer(req.lastToolResults()), stops, maxTokens)
	default:
		a.text, a.stopReason = limit(fillerReply(modelID, req, p.prompt), stops, maxTokens)
	}
	if effort, ok := req.reasoningEffort(); ok && !d.echo && !d.describe && d.guardrail == "" {
		a.reasoning = reasoningText(effort, p.prompt)
	}
	a.usage = s.inputUsage(base, req)
	// Reasoning is billed as output, as Bedrock counts it in outputTokens.
	out := utf8.RuneCountInString(a.reasoning) + utf8.RuneCountInString(a.text)
	for _, u := range a.toolUses {
		out += len(u.Name) + utf8.RuneCount(u.Input)
	}
	a.usage.OutputTokens = tokens(out)
	a.usage.TotalTokens = a.usage.InputTokens + a.usage.OutputTokens
	if a.usage.CacheReadInputTokens != nil {
		a.usage.TotalTokens += *a.usage.CacheReadInputTokens + *a.usage.CacheWriteInputTokens
	}
	return a
}

func (req *converseRequest) stopSequences() []string {
	if req.InferenceConfig == nil {
		return nil
	}
	return req.InferenceConfig.StopSequences
}

// fillerReply is the default answer: it names the model, quotes the start of
// the prompt, and adds 20 to 80 filler words, all chosen by a hash of the
// model ID and the conversation so that the same request gets the same text.
func fillerReply(modelID string, req *converseRequest, prompt string) string {
	h := sha256.New()
	h.Write([]byte(modelID))
	h.Write([]byte{0})
	h.Write(canonicalJSON(mustMarshal(req.System)))
	h.Write([]byte{0})
	h.Write(canonicalJSON(mustMarshal(req.Messages)))
	sum := h.Sum(nil)
	rng := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[0:8]), binary.LittleEndian.Uint64(sum[8:16]))) //nolint:gosec // deterministic filler text seeded by the request, not a secret

	quote := strings.Join(strings.Fields(prompt), " ")
	if utf8.RuneCountInString(quote) > promptQuoteRunes {
		quote = string([]rune(quote)[:promptQuoteRunes])
	}
	vocabulary := strings.Fields(fillerWords)
	var b strings.Builder
	b.WriteString("Simulated ")
	b.WriteString(modelID)
	b.WriteString(" answer to: ")
	b.WriteString(quote)
	b.WriteString(".")
	for range 20 + rng.IntN(61) {
		b.WriteByte(' ')
		b.WriteString(vocabulary[rng.IntN(len(vocabulary))])
	}
	b.WriteString(".")
	return b.String()
}

// limit applies stop sequences and the output limit the way a model does:
// the text ends before the earliest stop sequence met within the limit, or
// at maxTokens tokens (charsPerToken characters each).
func limit(text string, stops []string, maxTokens int) (string, string) {
	maxRunes := maxTokens * charsPerToken
	cut := -1
	for _, stop := range stops {
		if stop == "" {
			continue
		}
		if i := strings.Index(text, stop); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut >= 0 && utf8.RuneCountInString(text[:cut]) <= maxRunes {
		return text[:cut], stopStopSequence
	}
	if utf8.RuneCountInString(text) > maxRunes {
		return string([]rune(text)[:maxRunes]), stopMaxTokens
	}
	return text, stopEndTurn
}

// echoed are the request members the echo marker returns, when present.
var echoed = []string{"system", "messages", "inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields"}

// echoText is the canonical JSON of the received request members in echoed,
// with the bytes of images and documents replaced by their length and
// SHA-256, for the echo marker.
func echoText(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var top map[string]any
	_ = dec.Decode(&top) // the body already parsed as a request
	echo := make(map[string]any)
	for _, k := range echoed {
		if v, ok := top[k]; ok {
			echo[k] = elideBytes(v)
		}
	}
	return string(canonicalJSON(mustMarshal(echo)))
}

// inputUsage counts input tokens in Bedrock's order (tools, system,
// messages): see blockChars. With a cachePoint, the tokens before the last
// one are a cache write the first time this model sees that prefix and a
// cache read afterwards; only the rest counts as inputTokens.
func (s *Server) inputUsage(base string, req *converseRequest) usage {
	h := sha256.New()
	h.Write([]byte(base))
	chars, prefixChars := 0, -1
	var prefix [sha256.Size]byte
	add := func(block map[string]json.RawMessage, raw []byte) {
		if _, ok := block["cachePoint"]; ok {
			prefixChars = chars
			h.Sum(prefix[:0])
			return
		}
		canon := canonicalJSON(raw)
		h.Write(canon)
		chars += blockChars(block, canon)
	}
	if len(req.ToolConfig) > 0 {
		var tc struct {
			Tools []json.RawMessage `json:"tools"`
		}
		_ = json.Unmarshal(req.ToolConfig, &tc) // a toolConfig that is not an object counts as no tools
		for _, raw := range tc.Tools {
			var block map[string]json.RawMessage
			_ = json.Unmarshal(raw, &block)
			add(block, raw)
		}
	}
	for _, raw := range req.System {
		var block map[string]json.RawMessage
		_ = json.Unmarshal(raw, &block) // validated already
		add(block, raw)
	}
	for _, m := range req.Messages {
		for _, block := range m.Content {
			add(block, mustMarshal(block))
		}
	}

	var u usage
	if prefixChars < 0 {
		u.InputTokens = tokens(chars)
		return u
	}
	cached := tokens(prefixChars)
	u.InputTokens = tokens(chars - prefixChars)
	read, write := 0, 0
	s.mu.Lock()
	if _, seen := s.prefixes[prefix]; seen {
		read = cached
	} else {
		s.prefixes[prefix] = struct{}{}
		write = cached
	}
	s.mu.Unlock()
	u.CacheReadInputTokens, u.CacheWriteInputTokens = &read, &write
	return u
}

// blockChars is what a content block weighs, in characters of
// charsPerToken each: the runes of a text; an image's imageTokens; a
// document's bytes and name; a tool result's parts; the canonical JSON of
// anything else (tool uses, tool specs, guard content).
func blockChars(block map[string]json.RawMessage, canon []byte) int {
	if text, ok := blockText(block); ok {
		return utf8.RuneCountInString(text)
	}
	var b mediaBlock
	if raw, ok := block["image"]; ok && json.Unmarshal(raw, &b) == nil && b.Source != nil && b.Source.Bytes != nil {
		return imageTokens(base64Len(*b.Source.Bytes)) * charsPerToken
	}
	if raw, ok := block["document"]; ok && json.Unmarshal(raw, &b) == nil && b.Source != nil {
		n := utf8.RuneCountInString(b.Name)
		switch {
		case b.Source.Bytes != nil:
			n += base64Len(*b.Source.Bytes)
		case b.Source.Text != nil:
			n += utf8.RuneCountInString(*b.Source.Text)
		}
		return n
	}
	var r toolResultBlock
	if raw, ok := block["toolResult"]; ok && json.Unmarshal(raw, &r) == nil {
		n := len(r.ToolUseID)
		for _, c := range r.Content {
			n += blockChars(c, canonicalJSON(mustMarshal(c)))
		}
		return n
	}
	return len(canon)
}

// canonicalJSON re-encodes JSON with sorted object keys, no insignificant
// space and no HTML escaping, so that equal content gives equal bytes
// whatever order the client serialized maps in.
func canonicalJSON(raw []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return raw
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// mustMarshal marshals values built from decoded JSON, which cannot fail.
func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("bedrocksim: re-encoding decoded JSON: " + err.Error())
	}
	return b
}
