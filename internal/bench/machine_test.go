package bench

import (
	"runtime/debug"
	"strings"
	"testing"
)

// The build row tells a reader whether start-up and RSS were measured on a
// binary like the released one.
func TestDescribeBuild(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings []debug.BuildSetting
		want     []string
		not      []string
	}{
		{"static as released", []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "0"}, {Key: "-trimpath", Value: "true"}},
			[]string{"static, as released", "-trimpath"}, []string{"dynamically"}},
		{"cgo", []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "1"}},
			[]string{"linked dynamically, not as released"}, []string{"static, as released", "-trimpath"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := describeBuild(tc.settings)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("describeBuild = %q, want it to say %q", got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("describeBuild = %q, must not say %q", got, n)
				}
			}
		})
	}
}
