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
	k.str("v1")
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
	}
	k.opt(c.Temperature)
	k.opt(c.TopP)
	k.num(uint64(c.MaxTokens))
	k.num(uint64(len(c.StopSequences)))
	for _, s := range c.StopSequences {
		k.str(s)
	}
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
	k.h.Write(k.buf[:])
}

func (k *keyWriter) str(s string) {
	k.num(uint64(len(s)))
	k.h.Write([]byte(s))
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
