package bench

import (
	"io"
	"strings"
	"testing"
)

func TestSoakVerdict(t *testing.T) {
	flat := func(rss float64, g int) SoakSample {
		return SoakSample{RSSMiB: rss, Goroutines: g, Threads: 10, FDs: 50}
	}
	steady := []SoakSample{flat(50, 90), flat(58, 95), flat(55, 80), flat(60, 94), flat(57, 91), flat(59, 93)}
	if bad := soakVerdict(io.Discard, steady); len(bad) != 0 {
		t.Errorf("a steady run = %v, want no growth", bad)
	}
	leaking := []SoakSample{flat(50, 90), flat(60, 95), flat(70, 140), flat(80, 190), flat(90, 250), flat(100, 300)}
	bad := soakVerdict(io.Discard, leaking)
	if len(bad) != 2 || !strings.HasPrefix(bad[0], "rss_mib grew from 60.0 to 100.0") || !strings.HasPrefix(bad[1], "goroutines grew") {
		t.Errorf("a leaking run = %q, want RSS and goroutines named", bad)
	}
	if bad := soakVerdict(io.Discard, steady[:2]); len(bad) != 1 {
		t.Errorf("two readings = %v, want one problem: too few", bad)
	}
}
