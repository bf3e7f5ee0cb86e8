// Package bench measures what llm-gateway costs on top of the MCP protocol
// and on top of Bedrock, side by side in one run: the protocol floor (a
// no-op tool on the same SDK and transport, and the raw pipe or loopback
// HTTP figure under it), generate answered from the cache, generate missing
// the cache against a zero-latency Bedrock simulator, the same Converse call
// made directly with the AWS SDK, Streamable HTTP throughput at several
// concurrent sessions, coalescing of identical requests, memory, and
// start-up time.
//
// # Method
//
// The harness (the parent process) acts as the MCP client. The Bedrock
// simulator (internal/bedrocksim) runs in a child process of its own on
// 127.0.0.1, as Bedrock is another machine: a direct Converse call crosses
// processes as it does in production, and no client shares a process with
// the server it calls. Every MCP server it measures runs in a child process, the way an agent
// runs the gateway: the child is the harness's own executable, started in a
// hidden child mode (see RunChild) that wires the gateway exactly as the
// serve command does, or the plain gateway command for start-up and idle
// memory. The clients are minimal hand-written JSON-RPC clients (newline
// framed over the child's stdin and stdout; POSTs for Streamable HTTP), so
// that the figures are the server's and the transport's, not a client
// library's.
//
// Latency is measured by the client, per call, after a warm-up; p50 and p99
// are nearest-rank percentiles. The single-caller scenarios run side by
// side, in blocks of calls taken in turns, so that a shared machine's
// other work weighs on all of them alike; experiments (other GOGC, log
// level, the SDK's stdio transport instead of the gateway's) run among them, so each proposed change
// is measured beside the current behaviour in the same run. CPU time, allocations and peak RSS are the
// serving process's own: a child reports getrusage(RUSAGE_SELF),
// runtime.MemStats and /proc/self/status (VmRSS, VmHWM) on request over a
// control pipe, before and after the measured calls. Scenarios that run in
// the harness process (the direct AWS SDK call, the gateway's Bedrock client, the in-process gateway)
// count the whole harness process, so only their difference is meaningful.
//
// The package is Linux-first: /proc gives RSS; elsewhere memory figures are
// zero.
package bench
