//go:build unix

package ledger

import (
	"os"
	"syscall"
)

// journalsSupported is whether this system can keep ledger journals.
const journalsSupported = true

// lockFile takes an exclusive flock on f without waiting, which the
// system releases when the process ends however it ends. wait is for the
// owner, which must have it.
func lockFile(f *os.File, wait bool) error {
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
