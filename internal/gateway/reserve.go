package gateway

import "time"

// Upper bounds on what one piece of content can cost in input tokens. The
// tokenizers of Bedrock's models are byte-level: a token covers at least
// one byte of text, so a text's byte length bounds its tokens. Images are
// resized by the model before tokenizing; no model on Bedrock counts more
// than imageTokenBound tokens for one. Each message and tool also costs a
// few tokens of framing.
const (
	imageTokenBound   = 8000
	framingTokenBound = 16
)

// inputTokenBound is an upper bound on the input tokens of a call, from
// its size alone, for reserving a budget before the call is made.
func inputTokenBound(c *Call) int {
	n := framingTokenBound
	for _, s := range c.System {
		n += len(s) + framingTokenBound
	}
	for _, m := range c.Messages {
		n += len(m.Content) + len(m.ToolCallID) + framingTokenBound
		for _, b := range m.Blocks {
			switch b.Type {
			case BlockImage:
				n += imageTokenBound
			default:
				n += len(b.Text) + len(b.Name) + len(b.Data) + framingTokenBound
			}
		}
		for _, tc := range m.ToolCalls {
			n += len(tc.ID) + len(tc.Name) + len(tc.Arguments) + framingTokenBound
		}
	}
	for _, t := range c.Tools {
		n += len(t.Name) + len(t.Description) + len(t.InputSchema) + framingTokenBound
	}
	return n
}

// reservation is the worst case of one attempt of call with model m.
func reservation(agent string, m Model, c *Call, now time.Time) Reservation {
	r := Reservation{Agent: agent, Model: m, InputTokens: inputTokenBound(c), MaxOutputTokens: c.MaxTokens, Time: now}
	price := m.Price
	if m.Pricing != nil {
		// The rate of the tier asked for, at this time and this size:
		// above a long-context threshold the whole call costs more.
		price = nil
		if rate := m.Pricing.Rate(c.ServiceTier, now, r.InputTokens); rate != nil {
			price = rate.Price
		}
	}
	if price != nil {
		// Input priced at the dearest input rate: a cache write can cost
		// more than plain input.
		p := *price
		in := max(p.Input, p.CacheWrite, p.CacheRead)
		r.WorstCase = PicoUSD(r.InputTokens)*in + PicoUSD(r.MaxOutputTokens)*p.Output
		r.Priced = true
	}
	return r
}
