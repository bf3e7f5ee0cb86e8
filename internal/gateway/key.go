package gateway

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"sync"
)

// cacheKey is a canonical hash of everything in a Call that can change the
// answer. Every field is written, length-prefixed where variable, so that no
// two different calls encode to the same bytes ("ab"+"c" vs "a"+"bc").
func cacheKey(c *Call) string {
	k := keyWriters.Get().(*keyWriter)
	defer keyWriters.Put(k)
	k.h.Reset()
	k.n = 0
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
	k.flush()
	// The sum and its hex digits are made in the writer's buffer, which
	// is free once flushed: the key string is the one allocation.
	sum := k.h.Sum(k.buf[:0])
	digits := k.buf[len(sum) : len(sum)+hex.EncodedLen(len(sum))]
	hex.Encode(digits, sum)
	return string(digits)
}

// keyWriters are reused: a writer and its hash are a few hundred bytes
// that every request would otherwise allocate.
var keyWriters = sync.Pool{New: func() any { return &keyWriter{h: sha256.New()} }}

// keyWriter feeds the hash through a buffer of its own: writing each
// small field straight to the hash cost an allocation per string (its
// conversion to []byte escapes through the interface) and a call per field.
// The bytes hashed are the same however they are split.
type keyWriter struct {
	h   hash.Hash
	n   int // bytes of buf in use
	buf [512]byte
}

func (k *keyWriter) flush() {
	_, _ = k.h.Write(k.buf[:k.n])
	k.n = 0
}

func (k *keyWriter) num(v uint64) {
	if k.n+8 > len(k.buf) {
		k.flush()
	}
	binary.LittleEndian.PutUint64(k.buf[k.n:], v)
	k.n += 8
}

func (k *keyWriter) str(s string) {
	k.num(uint64(len(s)))
	buffer(k, s)
}

func (k *keyWriter) bytes(b []byte) {
	k.num(uint64(len(b)))
	if len(b) > len(k.buf) {
		// Image and document bytes go to the hash as they are, uncopied.
		k.flush()
		_, _ = k.h.Write(b)
		return
	}
	buffer(k, b)
}

// buffer copies s into k's buffer, flushing it as it fills: a string
// without converting it to bytes.
func buffer[T string | []byte](k *keyWriter, s T) {
	for len(s) > 0 {
		if k.n == len(k.buf) {
			k.flush()
		}
		c := copy(k.buf[k.n:], s)
		k.n += c
		s = s[c:]
	}
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
