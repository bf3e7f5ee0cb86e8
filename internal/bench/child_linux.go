package bench

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill a child if the harness dies first, so
// that an interrupted run leaves no servers behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
