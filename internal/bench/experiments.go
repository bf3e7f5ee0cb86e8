package bench

import "strings"

// experiment reruns served scenarios with other settings in the child's
// environment, so that a proposed default is measured beside the current
// one in the same run rather than claimed.
type experiment struct {
	label     string
	env       []string
	sdkStdio  bool // serve the gateway over the SDK's stdio transport instead of its own
	scenarios []string
}

// experiments are the knobs profiling pointed at: the collector (most of
// an MCP call's allocations are the SDK's short-lived JSON buffers, so
// with the default GOGC=100 and a small live heap the collector runs every
// few dozen calls), the log line the gateway writes per call, and those
// JSON buffers themselves (the gateway's stdio transport decodes each
// message once; the sdkStdio rows put the SDK's back to show the
// difference).
var experiments = []experiment{
	{"GOGC=200", []string{"GOGC=200"}, false, []string{nameStdioFloor, nameStdioHit}},
	{"GOGC=400", []string{"GOGC=400"}, false, []string{nameStdioFloor, nameStdioHit, nameStdioMiss, nameHTTPFloor, nameHTTPHit}},
	{"LOG_LEVEL=WARN", []string{"LOG_LEVEL=WARN"}, false, []string{nameStdioHit, nameHTTPHit}},
	{labelSDKStdio, nil, true, []string{nameStdioHit, nameStdioMiss}},
	{"GOGC=400 LOG_LEVEL=WARN", []string{"GOGC=400", "LOG_LEVEL=WARN"}, false, []string{nameStdioFloor, nameStdioHit, nameHTTPFloor, nameHTTPHit}},
	// The served rows run with the default ledger (SQLite: a record copied
	// into the journal before each answer, moved into the file behind it,
	// and the shared answer cache in the file); this one runs without it,
	// to show what it costs.
	{labelNoLedger, []string{"STORE_URL=memory:"}, false, []string{nameStdioHit, nameStdioMiss, nameHTTPHit, nameHTTPMiss}},
}

// labelNoLedger is the experiment without a durable ledger.
const labelNoLedger = "ledger in memory (STORE_URL=memory:)"

// labelSDKStdio is the experiment with the gateway on the SDK's stdio
// transport instead of its own.
const labelSDKStdio = "the SDK's stdio transport"

// experimentName is a scenario's name under an experiment.
func experimentName(scenario, label string) string { return scenario + " [" + label + "]" }

// baseName is the scenario an experiment's result varies.
func baseName(name string) string {
	if i := strings.LastIndex(name, " ["); i >= 0 {
		return name[:i]
	}
	return name
}
