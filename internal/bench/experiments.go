package bench

import (
	"context"
	"slices"
	"strings"
)

// experiment reruns served scenarios with other settings in the child's
// environment, so that a proposed default is measured beside the current
// one in the same run rather than claimed.
type experiment struct {
	label     string
	env       []string
	scenarios []string
}

// experiments are the knobs profiling pointed at: the collector (most of
// an MCP call's allocations are the SDK's short-lived JSON buffers, so
// with the default GOGC=100 and a small live heap the collector runs every
// few dozen calls), and the log line the gateway writes per call.
var experiments = []experiment{
	{"GOGC=400", []string{"GOGC=400"}, []string{nameStdioFloor, nameStdioHit, nameStdioMiss, nameHTTPFloor, nameHTTPHit}},
	{"LOG_LEVEL=WARN", []string{"LOG_LEVEL=WARN"}, []string{nameStdioHit, nameHTTPHit}},
	{"GOGC=400 LOG_LEVEL=WARN", []string{"GOGC=400", "LOG_LEVEL=WARN"}, []string{nameStdioHit, nameHTTPHit}},
}

// experimentName is a scenario's name under an experiment.
func experimentName(scenario, label string) string { return scenario + " [" + label + "]" }

func (h *harness) runExperiments(ctx context.Context) {
	for _, e := range experiments {
		for _, s := range h.served() {
			if !slices.Contains(e.scenarios, s.name) {
				continue
			}
			r := h.childScenario(ctx, experimentName(s.name, e.label), s.transport, s.mode, e.env, s.setup)
			h.report.Experiments = append(h.report.Experiments, r)
		}
	}
}

// baseName is the scenario an experiment's result varies.
func baseName(name string) string {
	if i := strings.LastIndex(name, " ["); i >= 0 {
		return name[:i]
	}
	return name
}
