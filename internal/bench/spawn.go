package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Deadlines for a child's answers; generous, as a loaded CI machine is slow.
const (
	childStartTimeout = 30 * time.Second
	childExitTimeout  = 10 * time.Second
	fillTimeout       = 15 * time.Minute
)

// child is a process the harness started in a child mode, with a control
// pipe. For stdio modes, stdin and stdout carry the protocol.
type child struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	ctlW   *os.File // commands to the child
	ctlRF  *os.File // replies from the child
	ctlR   *bufio.Reader
	stderr *tail
	addr   string // where an HTTP child listens
	done   chan error
}

// startChild starts the harness's executable in mode with the base
// environment plus env, and waits until it is ready.
func (h *harness) startChild(mode string, env ...string) (*child, error) {
	args := append(slices.Clone(h.opts.ChildArgs), mode)
	cmd := exec.Command(h.exe, args...) //nolint:gosec // the harness starts its own binary
	// Each child its own ledger and shared-cache file (the default, SQLite):
	// children sharing one would answer each other's misses from it.
	store := fmt.Sprintf("STORE_URL=sqlite:%s", filepath.Join(h.dir, fmt.Sprintf("store-%d", h.children.Add(1)), "gateway.db"))
	cmd.Env = h.env(append([]string{store}, env...)...)
	cmd.Dir = h.dir
	c := &child{name: mode, cmd: cmd, stderr: &tail{}, done: make(chan error, 1)}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("child %s: %w", mode, err)
	}
	if c.stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, fmt.Errorf("child %s: %w", mode, err)
	}
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("child %s: %w", mode, err)
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, fmt.Errorf("child %s: %w", mode, err)
	}
	cmd.ExtraFiles = []*os.File{cmdR, repW} // descriptors 3 and 4
	dieWithParent(cmd)
	err = cmd.Start()
	cmdR.Close()
	repW.Close()
	if err != nil {
		cmdW.Close()
		repR.Close()
		return nil, fmt.Errorf("child %s: %w", mode, err)
	}
	c.ctlW, c.ctlRF, c.ctlR = cmdW, repR, bufio.NewReader(repR)
	go func() { c.done <- cmd.Wait() }()

	r, err := c.read(childStartTimeout)
	if err != nil {
		c.kill()
		return nil, err
	}
	c.addr = r.Addr
	return c, nil
}

// command sends one control command and returns the child's reply.
func (c *child) command(timeout time.Duration, format string, args ...any) (ctlReply, error) {
	if _, err := fmt.Fprintf(c.ctlW, format+"\n", args...); err != nil {
		return ctlReply{}, c.failure(fmt.Errorf("control: %w", err))
	}
	r, err := c.read(timeout)
	if err != nil {
		return r, err
	}
	if r.Error != "" {
		return r, fmt.Errorf("child %s: %s", c.name, r.Error)
	}
	return r, nil
}

func (c *child) read(timeout time.Duration) (ctlReply, error) {
	var r ctlReply
	_ = c.ctlRF.SetReadDeadline(time.Now().Add(timeout))
	line, err := c.ctlR.ReadBytes('\n')
	if err != nil {
		return r, c.failure(fmt.Errorf("control reply: %w", err))
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, c.failure(fmt.Errorf("control reply %q: %w", line, err))
	}
	return r, nil
}

// usage asks the child for its resource use; gc collects garbage and
// returns freed memory to the OS first.
func (c *child) usage(gc bool) (Usage, error) {
	cmd := "stats"
	if gc {
		cmd = "gc"
	}
	r, err := c.command(childStartTimeout, "%s", cmd)
	if err != nil {
		return Usage{}, err
	}
	if r.Usage == nil {
		return Usage{}, fmt.Errorf("child %s: no usage in reply", c.name)
	}
	return *r.Usage, nil
}

// failure adds what the child said on stderr to err.
func (c *child) failure(err error) error {
	if t := strings.TrimSpace(c.stderr.String()); t != "" {
		return fmt.Errorf("child %s: %w; its stderr ends:\n%s", c.name, err, t)
	}
	return fmt.Errorf("child %s: %w", c.name, err)
}

// close ends the child (stdin and control pipe closed: it exits) and
// reports a failed exit.
func (c *child) close() error {
	c.stdin.Close()
	if c.ctlW != nil {
		c.ctlW.Close()
		defer c.ctlRF.Close()
	}
	select {
	case err := <-c.done:
		if err != nil {
			return c.failure(fmt.Errorf("exit: %w", err))
		}
		return nil
	case <-time.After(childExitTimeout):
		_ = c.cmd.Process.Kill()
		_ = <-c.done
		return c.failure(errors.New("did not exit when its input closed; killed"))
	}
}

// kill ends the child at once, for error paths.
func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	c.stdin.Close()
	if c.ctlW != nil {
		c.ctlW.Close()
		c.ctlRF.Close()
	}
	_ = <-c.done
}

// tail keeps the last tailSize bytes written to it: a child's stderr, for
// error messages, without holding a long run's logs.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
