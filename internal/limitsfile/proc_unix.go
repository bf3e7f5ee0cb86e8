//go:build unix && !linux

package limitsfile

import (
	"os"
	"syscall"
)

// self is this process as its holds name it; without /proc its start
// time is unknown, and every process shares one namespace.
func self() owner { return owner{pid: int32(os.Getpid()), ns: 1} }

// alive reports whether the process o may still run: false only when
// signalling it says there is no such process.
func alive(me, o owner) bool {
	if o.ns != me.ns || o.pid == me.pid {
		return true
	}
	return syscall.Kill(int(o.pid), 0) != syscall.ESRCH
}

// BootID is unknown here: holds of past boots lapse at their expiry.
func BootID() (id [16]byte) { return id }
