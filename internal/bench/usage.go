package bench

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"time"
)

// Usage is a process's resource use at one instant. Counters (CPU, Mallocs,
// TotalAlloc) are cumulative since the process started; the others are
// levels.
type Usage struct {
	CPU        time.Duration `json:"cpu_ns"`      // user + system time
	Mallocs    uint64        `json:"mallocs"`     // heap objects allocated
	TotalAlloc uint64        `json:"total_alloc"` // heap bytes allocated
	HeapAlloc  uint64        `json:"heap_alloc"`  // live heap bytes (and garbage not yet collected)
	RSS        int64         `json:"rss"`         // resident set size, bytes (VmRSS)
	PeakRSS    int64         `json:"peak_rss"`    // peak resident set size, bytes (VmHWM)
}

// selfUsage reads this process's usage. It stops the world briefly
// (runtime.ReadMemStats), so call it outside measured loops.
func selfUsage() Usage {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, hwm := procMemory("self")
	return Usage{
		CPU:        processCPU(),
		Mallocs:    ms.Mallocs,
		TotalAlloc: ms.TotalAlloc,
		HeapAlloc:  ms.HeapAlloc,
		RSS:        rss,
		PeakRSS:    hwm,
	}
}

// procMemory reads VmRSS and VmHWM of a process ("self" or a pid) from
// /proc; both are zero where /proc is not available.
func procMemory(pid string) (rss, hwm int64) {
	v := procStatus(pid, "VmRSS:", "VmHWM:")
	return v[0], v[1]
}

// procStatus reads the named kB fields of /proc/PID/status, in order;
// a field /proc does not give is zero.
func procStatus(pid string, fields ...string) []int64 {
	out := make([]int64, len(fields))
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		for i, f := range fields {
			if bytes.HasPrefix(line, []byte(f)) {
				out[i] = kib(line[len(f):])
			}
		}
	}
	return out
}

// kib parses "   1234 kB" into bytes.
func kib(field []byte) int64 {
	f := bytes.Fields(field)
	if len(f) == 0 {
		return 0
	}
	n, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		return 0
	}
	return n << 10
}

// delta is what happened between two snapshots of one process, per call.
type delta struct {
	cpuPer1k      time.Duration
	allocsPerCall float64
	bytesPerCall  float64
}

func usageDelta(before, after Usage, calls int) delta {
	if calls <= 0 {
		return delta{}
	}
	return delta{
		cpuPer1k:      (after.CPU - before.CPU) * 1000 / time.Duration(calls),
		allocsPerCall: float64(after.Mallocs-before.Mallocs) / float64(calls),
		bytesPerCall:  float64(after.TotalAlloc-before.TotalAlloc) / float64(calls),
	}
}
