package bedrocksim_test

import (
	"testing"
)

// BenchmarkConverse measures an SDK → simulator round trip on loopback,
// signature check included.
func BenchmarkConverse(b *testing.B) {
	_, c := simClient(b)
	in := input(novaPro, "What is the capital of France?")
	for b.Loop() {
		if _, err := c.Converse(b.Context(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConverseStream measures a streamed round trip read to its end.
func BenchmarkConverseStream(b *testing.B) {
	_, c := simClient(b)
	in := input(novaPro, "What is the capital of France?")
	for b.Loop() {
		s, err := converseStream(b, b.Context(), c, in)
		if err != nil || s.Err != nil {
			b.Fatal(err, s.Err)
		}
	}
}
