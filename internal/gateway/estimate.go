package gateway

// bytesPerToken is the usual size of a token in English text and code: a
// rough figure, used only when Bedrock never said what it billed.
const bytesPerToken = 4

// EstimateInputTokens estimates the input tokens Bedrock bills for a call,
// from its size, for a stream cut before Bedrock reported its usage. It is
// an estimate, so whatever carries it is marked UsageEstimated.
func EstimateInputTokens(c *Call) int {
	return (inputTokenBound(c) + bytesPerToken - 1) / bytesPerToken
}

// EstimateOutputTokens estimates the tokens of n bytes of generated text.
func EstimateOutputTokens(n int) int {
	return (n + bytesPerToken - 1) / bytesPerToken
}
