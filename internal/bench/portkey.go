package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Portkey's open-source gateway, pinned: the peer the issue names. It is
// installed with npm into the peers directory on first use (bench --peers
// only; nothing else in the project needs node).
const (
	portkeyPackage = "@portkey-ai/gateway"
	portkeyVersion = "1.15.2"
	portkeyName    = "peers: Portkey gateway " + portkeyVersion + ", OpenAI chat completion → Converse"
)

// portkeyBindLoopback is loaded into Portkey's node process before its
// server starts: Portkey's start-server.js calls @hono/node-server's
// serve without a hostname, which listens on every interface, and has no
// option to change that. Forcing the host keeps it on 127.0.0.1.
const portkeyBindLoopback = `import net from "node:net";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, host, ...rest) {
  if (typeof port === "number" && (host === undefined || host === null)) host = "127.0.0.1";
  return listen.call(this, port, host, ...rest);
};
`

// peersDir is where the peers are installed.
func (h *harness) peersDir() (string, error) {
	if h.opts.PeersDir != "" {
		return h.opts.PeersDir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "llm-gateway", "peers"), nil
}

// installPortkey installs the pinned Portkey into dir/portkey-VERSION once
// and returns that directory and its start script.
func (h *harness) installPortkey(ctx context.Context) (dir, script string, err error) {
	base, err := h.peersDir()
	if err != nil {
		return "", "", err
	}
	dir = filepath.Join(base, "portkey-"+portkeyVersion)
	script = filepath.Join(dir, "node_modules", portkeyPackage, "build", "start-server.js")
	if _, err := os.Stat(script); err == nil {
		return dir, script, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // the user's cache directory for an npm install, readable like the rest
		return "", "", err
	}
	h.progress("installing %s@%s into %s", portkeyPackage, portkeyVersion, dir)
	ictx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ictx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--ignore-scripts",
		"--save-exact", portkeyPackage+"@"+portkeyVersion)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("npm install %s@%s (node and npm are needed for --peers): %w: %s",
			portkeyPackage, portkeyVersion, err, lastLines(out, 5))
	}
	if _, err := os.Stat(script); err != nil {
		return "", "", fmt.Errorf("npm installed %s@%s without %s", portkeyPackage, portkeyVersion, script)
	}
	return dir, script, nil
}

// startPortkey installs and starts Portkey on a free loopback port and
// returns its spec: OpenAI chat completions with Portkey's Bedrock
// provider pointed at the simulator by x-portkey-custom-host, measured by
// the node process's CPU and peak RSS from /proc.
func (h *harness) startPortkey(ctx context.Context) (*runSpec, func(*Result), error) {
	dir, script, err := h.installPortkey(ctx)
	if err != nil {
		return nil, nil, err
	}
	preload := filepath.Join(dir, "bind-loopback.mjs")
	if err := os.WriteFile(preload, []byte(portkeyBindLoopback), 0o644); err != nil { //nolint:gosec // a preload script, no secret
		return nil, nil, err
	}
	simHost, closeSim, err := h.simulatorOnPort80(ctx)
	if err != nil {
		return nil, nil, err
	}
	port, err := freePort()
	if err != nil {
		closeSim()
		return nil, nil, err
	}
	cmd := exec.Command("node", "--import", "file://"+preload, script, "--port="+strconv.Itoa(port), "--headless") //nolint:gosec // node on PATH, with the harness's own script and port
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir, "NODE_ENV=production"}
	cmd.Dir = h.dir
	stderr := &tail{}
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start node: %w", err)
	}
	exited := make(chan struct{}) // closed when node has exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func(*Result) {
		_ = cmd.Process.Kill()
		<-exited
		closeSim()
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitListening(ctx, addr, exited, childStartTimeout); err != nil {
		stop(nil)
		return nil, nil, fmt.Errorf("portkey: %w; stderr: %s", err, stderr.String())
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	hc := newHTTPClient(1)
	url := "http://" + addr + openAIPath
	call := func(ctx context.Context, i int) error {
		body, _ := json.Marshal(map[string]any{
			"model":      defaultModelID,
			"max_tokens": answerTokens,
			"messages":   []map[string]string{{"role": "user", "content": h.missPrompt("peer-portkey", i)}},
		})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-portkey-provider", "bedrock")
		req.Header.Set("x-portkey-custom-host", simHost)
		req.Header.Set("x-portkey-aws-region", benchRegion)
		req.Header.Set("x-portkey-aws-access-key-id", benchAccessKey)
		req.Header.Set("x-portkey-aws-secret-access-key", benchSecretKey)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("portkey: %s: %s", resp.Status, b)
		}
		var out struct {
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(b, &out); err != nil || len(out.Choices) == 0 || out.Choices[0].Message.Content == "" {
			return fmt.Errorf("portkey: no answer in %s", b)
		}
		return nil
	}
	// Portkey's first Bedrock call proves the custom host is accepted.
	if err := call(ctx, primeCall); err != nil {
		stop(nil)
		return nil, nil, err
	}
	usage := func() (Usage, error) {
		cpu, err := procCPU(pid)
		if err != nil {
			return Usage{}, err
		}
		rss, hwm := procMemory(pid)
		return Usage{CPU: cpu, RSS: rss, PeakRSS: hwm}, nil
	}
	return &runSpec{name: portkeyName, transport: "http", measured: measuredServer,
		warm: h.sizes.warm, n: h.sizes.calls, sessions: []callFunc{call}, usage: usage, conns: h.simConns}, stop, nil
}

// procCPU reads a process's user and system time from /proc/PID/stat, in
// clock ticks of 1/100 s (USER_HZ, fixed at 100 for /proc on Linux).
func procCPU(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, fmt.Errorf("cpu of process %s: %w", pid, err)
	}
	// The command name (field 2) may hold spaces; fields after its ')'.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("cpu of process %s: unexpected /proc stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // utime, field 14
	st, err2 := strconv.ParseInt(f[12], 10, 64) // stime, field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("cpu of process %s: %w", pid, err)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// freePort is a loopback port free a moment ago, for a server that takes
// only a port number.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening dials addr until it answers, the process exits, or
// timeout passes.
func waitListening(ctx context.Context, addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before listening")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %s", addr, timeout)
		}
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
