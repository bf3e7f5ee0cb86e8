package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawStdio is the gateway binary driven line by line over stdio, as an
// agent with bugs (or an attacker) could.
type rawStdio struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *lockedBuilder
	done   chan error
}

func startRawStdio(t *testing.T, env []string) *rawStdio {
	t.Helper()
	r, _ := startRawStdioAt(t, env, "2025-06-18")
	return r
}

// startRawStdioAt is startRawStdio initializing at protocol version, and
// the answer to initialize.
func startRawStdioAt(t *testing.T, env []string, version string) (*rawStdio, rawAnswer) {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &rawStdio{t: t, cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20), stderr: &lockedBuilder{}, done: make(chan error, 1)}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = <-r.done
	})
	r.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`, version))
	init := r.want("init")
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return r, init
}

func (r *rawStdio) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		r.t.Fatalf("write: %v; stderr:\n%s", err, r.stderr.String())
	}
}

// rawAnswer is one JSON-RPC answer.
type rawAnswer struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

// next reads the next line on stdout, which must be one JSON-RPC message.
func (r *rawStdio) next() rawAnswer {
	r.t.Helper()
	l, err := r.out.ReadString('\n')
	if err != nil {
		r.t.Fatalf("read: %v; stderr:\n%s", err, r.stderr.String())
	}
	var a rawAnswer
	if err := json.Unmarshal([]byte(l), &a); err != nil {
		r.t.Fatalf("stdout line is not JSON: %v: %q", err, l)
	}
	return a
}

// want reads until the answer to id, skipping notifications.
func (r *rawStdio) want(id string) rawAnswer {
	r.t.Helper()
	for {
		a := r.next()
		if strings.Trim(string(a.ID), `"`) == id {
			return a
		}
	}
}

// exit waits for the process to end, within a generous bound.
func (r *rawStdio) exit() error {
	r.t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for Cleanup
		return err
	case <-time.After(60 * time.Second):
		r.t.Fatalf("the gateway did not exit; stderr:\n%s", r.stderr.String())
		return nil
	}
}

func generateLine(id, prompt string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%q,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-pro","messages":[{"role":"user","content":%q}]}}}`, id, prompt)
}

func TestStdioMalformedLinesDoNotEndTheSession(t *testing.T) {
	_, url := startSim(t)
	r := startRawStdio(t, gatewayEnv(url))
	for i, line := range []string{
		`not json`, "\xff\xfe", `42`, `"x"`, `null`, `[]`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		`{"id":1,"method":"ping"}`, `{"jsonrpc":"2.0","id":{},"method":"ping"}`,
		`{"jsonrpc":"2.0","id":1,"method":"ping"} trailing`, `{"jsonrpc":"2.0","id":NaN,"method":"ping"}`,
		strings.Repeat("[", 100000),
		`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("a", 5<<20) + `"}}`, // past MAX_MESSAGE_BYTES
	} {
		r.send(line)
		if a := r.next(); a.Error == nil || (a.Error.Code != -32700 && a.Error.Code != -32600) {
			t.Errorf("line %d: got %+v, want a parse or invalid-request error", i, a)
		}
	}
	r.send(generateLine("after", "still there?"))
	if a := r.want("after"); a.Error != nil || !strings.Contains(string(a.Result), "text") {
		t.Fatalf("a call after the bad lines: %+v", a)
	}
	if err := r.in.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.exit(); err != nil {
		t.Fatalf("exit after EOF: %v; stderr:\n%s", err, r.stderr.String())
	}
}

// inFlight sends a generate call and makes sure the gateway has read it:
// lines are read in order, so once the ping after it is answered, it is.
func (r *rawStdio) inFlight(id, prompt string) {
	r.t.Helper()
	r.send(generateLine(id, prompt))
	r.send(`{"jsonrpc":"2.0","id":"sync","method":"ping"}`)
	r.want("sync")
}

func TestStdioShutdownAnswersCallsInFlight(t *testing.T) {
	_, url := startSim(t)
	t.Run("stdin EOF", func(t *testing.T) {
		r := startRawStdio(t, gatewayEnv(url))
		r.inFlight("slow", "[sim:latency=1s] hello")
		if err := r.in.Close(); err != nil {
			t.Fatal(err)
		}
		if a := r.want("slow"); a.Error != nil || !strings.Contains(string(a.Result), "text") {
			t.Fatalf("answer after EOF: %+v", a)
		}
		if err := r.exit(); err != nil {
			t.Fatalf("exit: %v", err)
		}
	})
	t.Run("SIGTERM within the grace", func(t *testing.T) {
		r := startRawStdio(t, gatewayEnv(url))
		r.inFlight("slow", "[sim:latency=1s] hello")
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if a := r.want("slow"); a.Error != nil || !strings.Contains(string(a.Result), "text") {
			t.Fatalf("answer after SIGTERM: %+v", a)
		}
		if err := r.exit(); err != nil {
			t.Fatalf("exit: %v; stderr:\n%s", err, r.stderr.String())
		}
	})
	t.Run("SIGTERM past the grace", func(t *testing.T) {
		r := startRawStdio(t, gatewayEnv(url, "SHUTDOWN_GRACE=1s"))
		r.inFlight("hung", "[sim:latency=60s] hello")
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		a := r.want("hung")
		if a.Error == nil || a.Error.Code != -32000 || !strings.Contains(a.Error.Message, "shutting down") {
			t.Fatalf("cut call: %+v, want a shutting-down error", a)
		}
		if err := r.exit(); err != nil {
			t.Fatalf("exit: %v; stderr:\n%s", err, r.stderr.String())
		}
	})
	t.Run("SIGKILL leaves only whole lines", func(t *testing.T) {
		r := startRawStdio(t, gatewayEnv(url))
		r.inFlight("killed", "[sim:latency=60s] hello")
		if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := r.exit(); err == nil {
			t.Fatal("exit 0 after SIGKILL")
		}
		rest, _ := io.ReadAll(r.out)
		for l := range strings.Lines(string(rest)) {
			if !json.Valid([]byte(l)) {
				t.Errorf("partial line on stdout after SIGKILL: %q", l)
			}
		}
		// A new gateway starts and answers at once: nothing was left behind.
		r2 := startRawStdio(t, gatewayEnv(url))
		r2.send(`{"jsonrpc":"2.0","id":"p","method":"ping"}`)
		r2.want("p")
	})
}
