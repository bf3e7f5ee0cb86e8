package gateway

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
)

// cacheKey is a canonical hash of everything in a Call that can change the
// answer. Every field is written, length-prefixed where variable, so that no
// two different calls encode to the same bytes ("ab"+"c" vs "a"+"bc").
func cacheKey(c *Call) string {
	var k keyWriter
	k.h = sha256.New()
	k.str("v2")
	k.str(c.ModelID)
	k.bool(c.SupportsSystem)
	k.num(uint64(len(c.System)))
	for _, s := range c.System {
		k.str(s)
	}
	k.num(uint64(len(c.Messages)))
	for _, m := range c.Messages {
		k.str(m.Role)
		k.str(m.Content)
		k.num(uint64(len(m.Blocks)))
		for _, b := range m.Blocks {
			// Image and document bytes enter the hash, not the key: the key
			// stays 64 bytes whatever the request carried.
			k.str(b.Type)
			k.str(b.Text)
			k.str(b.Format)
			k.str(b.Name)
			k.bytes(b.Data)
		}
		k.toolCalls(m.ToolCalls)
		k.str(m.ToolCallID)
	}
	k.opt(c.Temperature)
	k.opt(c.TopP)
	k.num(uint64(c.MaxTokens)) //nolint:gosec // MaxTokens is validated positive before a key is made; the bits are only hashed
	k.num(uint64(len(c.StopSequences)))
	for _, s := range c.StopSequences {
		k.str(s)
	}
	k.num(uint64(len(c.Tools)))
	for _, t := range c.Tools {
		k.str(t.Name)
		k.str(t.Description)
		k.bytes(t.InputSchema)
	}
	if tc := c.ToolChoice; tc != nil {
		k.str(tc.Mode)
		k.str(tc.Name)
	} else {
		k.str("")
		k.str("")
	}
	k.bool(c.CacheSystem)
	k.bool(c.CacheTools)
	if gr := c.Guardrail; gr != nil {
		k.str(gr.ID)
		k.str(gr.Version)
	} else {
		k.str("")
		k.str("")
	}
	k.bytes(c.AdditionalFields)
	// A tier is a different request: a flex answer is billed, and may
	// be served, unlike a priority one.
	k.str(c.ServiceTier)
	return hex.EncodeToString(k.h.Sum(nil))
}

type keyWriter struct {
	h interface {
		Write([]byte) (int, error)
		Sum([]byte) []byte
	}
	buf [8]byte
}

func (k *keyWriter) num(v uint64) {
	binary.LittleEndian.PutUint64(k.buf[:], v)
	_, _ = k.h.Write(k.buf[:])
}

func (k *keyWriter) str(s string) {
	k.num(uint64(len(s)))
	_, _ = k.h.Write([]byte(s))
}

func (k *keyWriter) bytes(b []byte) {
	k.num(uint64(len(b)))
	_, _ = k.h.Write(b)
}

func (k *keyWriter) toolCalls(calls []ToolCall) {
	k.num(uint64(len(calls)))
	for _, tc := range calls {
		k.str(tc.ID)
		k.str(tc.Name)
		k.bytes(tc.Arguments)
	}
}

func (k *keyWriter) bool(b bool) {
	if b {
		k.num(1)
	} else {
		k.num(0)
	}
}

func (k *keyWriter) opt(f *float64) {
	if f == nil {
		k.num(0)
		return
	}
	k.num(1)
	k.num(math.Float64bits(*f))
}
