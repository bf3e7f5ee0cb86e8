package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const callUsage = `Usage: llm-gateway call TOOL [flags] [-- gateway flags]

Calls one tool of a gateway and prints its result as JSON. Without --url it
starts a gateway (this binary) over stdio with the gateway flags after "--".

Examples:
  llm-gateway call list_models --simulate
  llm-gateway call generate --simulate --arg model=nova-lite --prompt "What is AI?"
  llm-gateway call generate --json '{"model":"nova-pro","messages":[{"role":"user","content":"Hi"}]}'
  llm-gateway call get_stats --url http://127.0.0.1:8080/mcp --key KEY

Flags:
`

// argFlags collects repeated --arg key=value flags, in order.
type argFlags []string

func (a *argFlags) String() string     { return strings.Join(*a, ",") }
func (a *argFlags) Set(s string) error { *a = append(*a, s); return nil }

// runCall is an MCP client in the binary, so that a newcomer sees a real
// tool call in one command.
func runCall(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, callUsage); fs.PrintDefaults() }
	var kv argFlags
	fs.Var(&kv, "arg", "a tool argument as key=value; the value is read as JSON if it parses (numbers, true, arrays), else as text (repeatable)")
	jsonArgs := fs.String("json", "", "all tool arguments as one JSON object (--arg values are added to it)")
	prompt := fs.String("prompt", "", `shorthand for messages=[{"role":"user","content":PROMPT}] (generate)`)
	url := fs.String("url", "", "the MCP endpoint of a running gateway (e.g. http://127.0.0.1:8080/mcp); if empty, start one over stdio")
	key := fs.String("key", getenv("LLM_GATEWAY_KEY"), "API key for --url (env LLM_GATEWAY_KEY)")
	simulate := fs.Bool("simulate", false, "start the gateway against the built-in Bedrock simulator")
	metaJSON := fs.String("meta", "", `the call's _meta as a JSON object, e.g. {"traceparent":"00-…-01"} to continue a trace`)

	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fs.Usage()
		return nil
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs.Usage()
		return exitError(2)
	}
	tool := args[0]
	var gatewayArgs []string
	rest := args[1:]
	for i, a := range rest {
		if a == "--" {
			gatewayArgs, rest = rest[i+1:], rest[:i]
			break
		}
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError(2)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("call: unexpected argument %q; put gateway flags after --", fs.Arg(0))
	}
	toolArgs, err := buildArgs(*jsonArgs, kv, *prompt)
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	var meta mcp.Meta
	if *metaJSON != "" {
		if err := json.Unmarshal([]byte(*metaJSON), &meta); err != nil {
			return fmt.Errorf("call: --meta must be a JSON object: %w", err)
		}
	}

	var transport mcp.Transport
	if *url != "" {
		transport = &mcp.StreamableClientTransport{
			Endpoint:             *url,
			HTTPClient:           &http.Client{Transport: bearer{key: *key, next: http.DefaultTransport}},
			DisableStandaloneSSE: true,
		}
	} else {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("call: find this binary: %w", err)
		}
		if *simulate {
			gatewayArgs = append([]string{"--simulate"}, gatewayArgs...)
		}
		cmd := exec.Command(self, append([]string{"--transport", "stdio"}, gatewayArgs...)...) //nolint:gosec // self is this very binary (os.Executable); the arguments are the user's own
		cmd.Stderr = stderr
		cmd.Env = os.Environ()
		if getenv("LOG_LEVEL") == "" {
			cmd.Env = append(cmd.Env, "LOG_LEVEL=WARN") // the result, not the gateway's chatter
		}
		transport = &mcp.CommandTransport{Command: cmd}
	}

	client := mcp.NewClient(&mcp.Implementation{Name: "llm-gateway-call", Version: version}, nil)
	session, err := client.Connect(ctx, transport, nil)
	if err != nil {
		if *url == "" {
			// The gateway has said why on stderr; the SDK's "client is
			// closing: EOF" would only add noise.
			fmt.Fprintln(stderr, "call: the gateway exited before answering; its message is above")
			return exitError(1)
		}
		return fmt.Errorf("call: connect to gateway: %w", err)
	}
	defer session.Close()
	if err := checkTool(ctx, session, tool); err != nil {
		return err
	}
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Meta: meta, Name: tool, Arguments: toolArgs})
	if err != nil {
		return fmt.Errorf("call %s: %w", tool, err)
	}
	return printResult(res, stdout, stderr)
}

// checkTool refuses a tool the gateway does not have, naming those it has.
func checkTool(ctx context.Context, session *mcp.ClientSession, tool string) error {
	list, err := session.ListTools(ctx, nil)
	if err != nil {
		return fmt.Errorf("call: list tools: %w", err)
	}
	var names []string
	for _, t := range list.Tools {
		if t.Name == tool {
			return nil
		}
		names = append(names, t.Name)
	}
	return fmt.Errorf("call: the gateway has no tool %q; its tools are %s (llm-gateway help TOOL describes one)", tool, strings.Join(names, ", "))
}

// buildArgs merges --json, --arg and --prompt into one arguments object.
func buildArgs(jsonArgs string, kv []string, prompt string) (map[string]any, error) {
	out := map[string]any{}
	if jsonArgs != "" {
		if err := json.Unmarshal([]byte(jsonArgs), &out); err != nil {
			return nil, fmt.Errorf("--json must be a JSON object: %w", err)
		}
	}
	for _, a := range kv {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--arg %q: want key=value", a)
		}
		var parsed any
		if err := json.Unmarshal([]byte(v), &parsed); err == nil {
			out[k] = parsed
		} else {
			out[k] = v
		}
	}
	if prompt != "" {
		if _, ok := out["messages"]; ok {
			return nil, fmt.Errorf("give either --prompt or messages, not both")
		}
		out["messages"] = []map[string]string{{"role": "user", "content": prompt}}
	}
	return out, nil
}

func printResult(res *mcp.CallToolResult, stdout, stderr io.Writer) error {
	if res.IsError {
		for _, c := range res.Content {
			if t, ok := c.(*mcp.TextContent); ok {
				fmt.Fprintln(stderr, t.Text)
			}
		}
		return exitError(1)
	}
	if res.StructuredContent != nil {
		raw, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return fmt.Errorf("call: result: %w", err)
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			return fmt.Errorf("call: result: %w", err)
		}
		buf.WriteByte('\n')
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			fmt.Fprintln(stdout, t.Text)
		}
	}
	return nil
}

// bearer adds an API key to every request.
type bearer struct {
	key  string
	next http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.key == "" {
		return b.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.next.RoundTrip(r)
}
