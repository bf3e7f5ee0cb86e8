package gateway

import "encoding/json"

// Content block types a message may hold besides plain text.
const (
	BlockText       = "text"
	BlockImage      = "image"
	BlockDocument   = "document"
	BlockCachePoint = "cache_point"
)

// RoleTool is the role of a message that carries a tool's result back to the
// model (OpenAI style); the provider sends it as a Converse toolResult block
// in a user turn.
const RoleTool = "tool"

// Block is one piece of a message's content, for messages whose content is
// a list rather than a string.
type Block struct {
	Type   string // one of the Block* constants
	Text   string // BlockText
	Format string // image: png, jpeg, gif, webp; document: pdf, csv, doc, docx, xls, xlsx, html, txt, md
	Name   string // BlockDocument: a name for the document (Bedrock requires one)
	Data   []byte // image or document bytes, decoded
}

// ToolCall is a model's request to run a tool, or, in an assistant message
// sent back, the record of one.
type ToolCall struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"` // a JSON object
}

// Tool describes a function the model may call.
type Tool struct {
	Name        string
	Description string
	InputSchema json.RawMessage // a JSON Schema object
}

// ToolChoice says whether and which tool the model must call: Mode "auto"
// (the model decides; the default), "any" (some tool), or "tool" (the one
// named by Name).
type ToolChoice struct {
	Mode string
	Name string
}

// Tool choice modes.
const (
	ToolChoiceAuto = "auto"
	ToolChoiceAny  = "any"
	ToolChoiceTool = "tool"
)

// Guardrail names a Bedrock guardrail to apply to a call.
type Guardrail struct {
	ID      string
	Version string
}
