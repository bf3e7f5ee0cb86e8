package gateway

// minBytesPerToken is the most text one token covers in practice (long
// runs of plain ASCII); dividing by it gives a lower bound of a text's
// tokens, so that a request refused by the context-window check surely
// does not fit, and one that may fit is left for Bedrock to judge.
const minBytesPerToken = 6

// checkContextWindow refuses, before any call, a request whose text alone
// is far larger than the model's context window, with an estimate of its
// tokens. Images and documents are not counted: their cost in tokens is
// not their size in bytes.
func checkContextWindow(c *Call, m Model) error {
	if m.ContextWindow <= 0 {
		return nil
	}
	n := 0
	for _, s := range c.System {
		n += len(s)
	}
	for _, msg := range c.Messages {
		n += len(msg.Content)
		for _, b := range msg.Blocks {
			if b.Type != BlockImage && b.Type != BlockDocument {
				n += len(b.Text)
			}
		}
		for _, tc := range msg.ToolCalls {
			n += len(tc.Arguments)
		}
	}
	if tokens := n / minBytesPerToken; tokens > m.ContextWindow {
		return Invalid("messages", "the request's text is %d bytes, at least %d tokens (counting %d bytes a token), more than the context window of %s (%d tokens); shorten the conversation or choose a model with a larger context_window (list_models)",
			n, tokens, minBytesPerToken, m.Name, m.ContextWindow)
	}
	return nil
}
