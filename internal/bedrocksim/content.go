package bedrocksim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Bedrock's limits on images and documents in a Converse request, from the
// Message reference: up to 20 images of at most 3.75 MB each and up to five
// documents of at most 4.5 MB each.
const (
	maxImages        = 20
	maxDocuments     = 5
	maxImageBytes    = 3_932_160 // 3.75 MiB
	maxDocumentBytes = 4_718_592 // 4.5 MiB
	maxDocNameRunes  = 200
)

// The simulator's image tokenizer: one token per imageBytesPerToken bytes,
// and never fewer than minImageTokens, whatever the pixels.
const (
	imageBytesPerToken = 750
	minImageTokens     = 85
)

var (
	imageFormats    = []string{"png", "jpeg", "gif", "webp"}
	documentFormats = []string{"pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"}
)

// Messages for media refusals. msgDocumentName is Bedrock's own; the others
// follow its style, as the real wording is not documented.
const (
	msgDocumentName  = "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character."
	msgMediaRole     = "You can only include images and documents in user messages. Remove them from messages.%d and try again."
	msgDocumentText  = "A message that includes a document must also include a text block. Add a text block to messages.%d.content and try again."
	msgTooManyImages = "The request includes %d images, more than the maximum of 20. Remove images and try again."
	msgTooManyDocs   = "The request includes %d documents, more than the maximum of 5. Remove documents and try again."
)

// media is an image or document found in a request.
type media struct {
	kind   string // "image" or "document"
	format string
	name   string // documents only
	size   int    // bytes, after base64 decoding
	sum    [sha256.Size]byte
}

// String is how the describe marker lists the media:
// `image png 1234 bytes sha256=…` or `document pdf "name" 1234 bytes sha256=…`.
func (m media) String() string {
	if m.kind == "document" {
		return fmt.Sprintf("document %s %q %d bytes sha256=%s", m.format, m.name, m.size, hex.EncodeToString(m.sum[:]))
	}
	return fmt.Sprintf("image %s %d bytes sha256=%s", m.format, m.size, hex.EncodeToString(m.sum[:]))
}

// blockPath locates a content block for messages: top-level blocks as
// messages.I.content.J, blocks inside a tool result with .toolResult.content.K
// after that. Indices are zero-based, except in schemaPath.
type blockPath struct {
	msg, block int
	inner      int // index in the tool result's content, or -1
}

func (p blockPath) String() string {
	s := fmt.Sprintf("messages.%d.content.%d", p.msg, p.block)
	if p.inner >= 0 {
		s += fmt.Sprintf(".toolResult.content.%d", p.inner)
	}
	return s
}

// schemaPath is the path as Bedrock's schema validation names it, with
// one-based list indices ("messages.1.member.content.1.member").
func (p blockPath) schemaPath() string {
	s := fmt.Sprintf("messages.%d.member.content.%d.member", p.msg+1, p.block+1)
	if p.inner >= 0 {
		s += fmt.Sprintf(".toolResult.content.%d.member", p.inner+1)
	}
	return s
}

// mediaBlock is the union of ImageBlock and DocumentBlock members the
// simulator reads.
type mediaBlock struct {
	Format string `json:"format"`
	Name   string `json:"name"`
	Source *struct {
		Bytes      *string         `json:"bytes"`
		Text       *string         `json:"text"`
		S3Location json.RawMessage `json:"s3Location"`
	} `json:"source"`
}

// parseMedia validates an image or document block (kind says which) and
// returns what the describe marker reports of it.
func parseMedia(kind string, raw json.RawMessage, at blockPath) (media, *apiError) {
	var b mediaBlock
	if json.Unmarshal(raw, &b) != nil || b.Source == nil {
		return media{}, validationError("%s", msgMalformed)
	}
	m := media{kind: kind, format: b.Format, name: b.Name}
	formats, limit := imageFormats, maxImageBytes
	if kind == "document" {
		formats, limit = documentFormats, maxDocumentBytes
	}
	if !(kind == "document" && b.Format == "") && !slices.Contains(formats, b.Format) {
		return media{}, validationError("Value '%s' at '%s.%s.format' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			b.Format, at.schemaPath(), kind, strings.Join(formats, ", "))
	}
	if kind == "document" {
		if aerr := checkDocumentName(b.Name, at); aerr != nil {
			return media{}, aerr
		}
	}
	var content []byte
	switch src := b.Source; {
	case src.Bytes != nil:
		var err error
		if content, err = base64.StdEncoding.DecodeString(*src.Bytes); err != nil {
			return media{}, validationError("%s", msgMalformed)
		}
	case src.Text != nil && kind == "document":
		content = []byte(*src.Text)
	case len(src.S3Location) > 0:
		return media{}, validationError("The %s at %s comes from an Amazon S3 location, which the simulator cannot read. Send the bytes instead.", kind, at)
	default:
		return media{}, validationError("%s", msgMalformed)
	}
	if len(content) == 0 {
		return media{}, validationError("The %s at %s is empty. Add the %s's bytes and try again.", kind, at, kind)
	}
	if len(content) > limit {
		return media{}, validationError("The %s at %s is %d bytes, more than the maximum of %d bytes (%s). Reduce its size and try again.",
			kind, at, len(content), limit, map[string]string{"image": "3.75 MB", "document": "4.5 MB"}[kind])
	}
	m.size, m.sum = len(content), sha256.Sum256(content)
	return m, nil
}

// checkDocumentName applies the DocumentBlock name rules: 1 to 200
// characters, only alphanumerics, single whitespace, hyphens, parentheses
// and square brackets.
func checkDocumentName(name string, at blockPath) *apiError {
	n := 0
	prevSpace := false
	for _, c := range name {
		n++
		space := unicode.IsSpace(c)
		ok := space && !prevSpace || c < unicode.MaxASCII && (unicode.IsLetter(c) || unicode.IsDigit(c)) || strings.ContainsRune("-()[]", c)
		if !ok {
			return validationError("%s", msgDocumentName)
		}
		prevSpace = space
	}
	if n == 0 {
		return validationError("Value '' at '%s.document.name' failed to satisfy constraint: Member must have length greater than or equal to 1", at.schemaPath())
	}
	if n > maxDocNameRunes {
		return validationError("Value '%s' at '%s.document.name' failed to satisfy constraint: Member must have length less than or equal to %d", name, at.schemaPath(), maxDocNameRunes)
	}
	return nil
}

// countMedia refuses a request with more images or documents than Bedrock
// takes. It counts the whole request, tool results included.
func countMedia(all []media) *apiError {
	images, docs := 0, 0
	for _, m := range all {
		if m.kind == "image" {
			images++
		} else {
			docs++
		}
	}
	if images > maxImages {
		return validationError(msgTooManyImages, images)
	}
	if docs > maxDocuments {
		return validationError(msgTooManyDocs, docs)
	}
	return nil
}

// describeText is the describe marker's answer: one line per image or
// document, in request order.
func describeText(all []media) string {
	if len(all) == 0 {
		return "No images or documents received."
	}
	lines := make([]string, len(all))
	for i, m := range all {
		lines[i] = m.String()
	}
	return strings.Join(lines, "\n")
}

// imageTokens is what an image of size bytes costs in input tokens.
func imageTokens(size int) int {
	return max(minImageTokens, (size+imageBytesPerToken-1)/imageBytesPerToken)
}

// base64Len is the decoded length of standard base64 text, without
// decoding it.
func base64Len(s string) int {
	n := len(s) / 4 * 3
	if strings.HasSuffix(s, "==") {
		return n - 2
	}
	if strings.HasSuffix(s, "=") {
		return n - 1
	}
	return n
}

// elideBytes replaces, in decoded JSON, the bytes of every media source
// ({"source":{"bytes":"<base64>"}}) by "<N bytes sha256=…>", so that the
// echo marker stays readable and still proves which bytes arrived.
func elideBytes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if src, ok := child.(map[string]any); ok && k == "source" {
				if b64, ok := src["bytes"].(string); ok {
					if raw, err := base64.StdEncoding.DecodeString(b64); err == nil {
						sum := sha256.Sum256(raw)
						src["bytes"] = fmt.Sprintf("<%d bytes sha256=%s>", len(raw), hex.EncodeToString(sum[:]))
						continue
					}
				}
			}
			v[k] = elideBytes(child)
		}
	case []any:
		for i, child := range v {
			v[i] = elideBytes(child)
		}
	}
	return v
}
