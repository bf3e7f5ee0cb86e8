package bench

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// Machine describes where a run happened: figures mean little without it.
type Machine struct {
	CPU        string  `json:"cpu"`
	Cores      int     `json:"cores"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	MemoryGiB  float64 `json:"memory_gib"`
	OS         string  `json:"os"`
	Kernel     string  `json:"kernel,omitempty"`
	Go         string  `json:"go"`
	// LoadAverage is the 1, 5 and 15 minute load when the run started:
	// other work on the machine skews every figure.
	LoadAverage string `json:"load_average,omitempty"`
	// Build is how the measured binary was built. Start-up and RSS depend
	// on it: a cgo build is linked dynamically, and the C library's pages
	// count in its RSS, while the release image's binary is static.
	Build string `json:"build,omitempty"`
}

func describeMachine() Machine {
	m := Machine{
		CPU:        "unknown",
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
		Go:         runtime.Version(),
	}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.CPU = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		m.MemoryGiB = round1(float64(kib([]byte(v))) / (1 << 30))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		m.Build = describeBuild(bi.Settings)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAverage = strings.Join(f[:3], " ")
		}
	}
	return m
}

// procField is the value of the first "name: value" line of a /proc file.
func procField(path, name string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// describeBuild names the build settings that move start-up and RSS.
func describeBuild(settings []debug.BuildSetting) string {
	var cgo, trim bool
	for _, s := range settings {
		switch s.Key {
		case "CGO_ENABLED":
			cgo = s.Value == "1"
		case "-trimpath":
			trim = s.Value == "true"
		}
	}
	var parts []string
	if cgo {
		parts = append(parts, "CGO_ENABLED=1: linked dynamically, not as released (the image builds with CGO_ENABLED=0)")
	} else {
		parts = append(parts, "CGO_ENABLED=0: static, as released")
	}
	if trim {
		parts = append(parts, "-trimpath")
	}
	return strings.Join(parts, ", ")
}
