package bench

import "strings"

// experiment reruns served scenarios with other settings in the child's
// environment, so that a proposed default is measured beside the current
// one in the same run rather than claimed.
type experiment struct {
	label     string
	env       []string
	lean      bool // serve stdio with leanStdio instead of the SDK's transport
	scenarios []string
}

// experiments are the knobs profiling pointed at: the collector (most of
// an MCP call's allocations are the SDK's short-lived JSON buffers, so
// with the default GOGC=100 and a small live heap the collector runs every
// few dozen calls), the log line the gateway writes per call, and those
// JSON buffers themselves (leanStdio).
var experiments = []experiment{
	{"GOGC=200", []string{"GOGC=200"}, false, []string{nameStdioFloor, nameStdioHit}},
	{"GOGC=400", []string{"GOGC=400"}, false, []string{nameStdioFloor, nameStdioHit, nameStdioMiss, nameHTTPFloor, nameHTTPHit}},
	{"LOG_LEVEL=WARN", []string{"LOG_LEVEL=WARN"}, false, []string{nameStdioHit, nameHTTPHit}},
	{"lean stdio transport", nil, true, []string{nameStdioFloor, nameStdioHit, nameStdioMiss}},
	{labelAll, []string{"GOGC=400", "LOG_LEVEL=WARN"}, true, []string{nameStdioFloor, nameStdioHit}},
	{"GOGC=400 LOG_LEVEL=WARN", []string{"GOGC=400", "LOG_LEVEL=WARN"}, false, []string{nameHTTPFloor, nameHTTPHit}},
	// The served rows run with the default ledger (SQLite, a commit before
	// each answer); this one runs without it, to show what it costs.
	{labelNoLedger, []string{"STORE_URL=memory:"}, false, []string{nameStdioHit, nameStdioMiss, nameHTTPHit, nameHTTPMiss}},
}

// labelNoLedger is the experiment without a durable ledger.
const labelNoLedger = "ledger in memory (STORE_URL=memory:)"

// labelAll is the experiment with every proposal at once.
const labelAll = "lean stdio transport, GOGC=400, LOG_LEVEL=WARN"

var leanModes = map[string]string{modeNoopStdio: modeNoopLean, modeGatewayStdio: modeGatewayLean}

// experimentName is a scenario's name under an experiment.
func experimentName(scenario, label string) string { return scenario + " [" + label + "]" }

// baseName is the scenario an experiment's result varies.
func baseName(name string) string {
	if i := strings.LastIndex(name, " ["); i >= 0 {
		return name[:i]
	}
	return name
}
