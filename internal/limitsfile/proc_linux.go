package limitsfile

import (
	"bytes"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
)

// self is this process as its holds name it: its PID, its start time (so
// that a PID used again by another process is not taken for it) and its
// PID namespace (whose PIDs alone this process can look up).
func self() owner {
	pid := os.Getpid()
	start, _ := stat(pid)
	o := owner{pid: int32(pid), start: start} //nolint:gosec // Linux PIDs fit in int32 (pid_max is at most 2^22)
	if link, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		// pid:[4026531836]
		s := strings.TrimSuffix(strings.TrimPrefix(link, "pid:["), "]")
		o.ns, _ = strconv.ParseUint(s, 10, 64)
	}
	return o
}

// stat is when pid started, in clock ticks since boot (field 22 of
// /proc/PID/stat; 0 if it cannot be read), and whether it has ended or is
// ending (a zombie that its parent has not waited for yet counts).
func stat(pid int) (start uint64, ended bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0, false
	}
	start, _ = strconv.ParseUint(fields[19], 10, 64)
	flags, _ := strconv.ParseUint(fields[6], 10, 64)
	return start, fields[0] == "Z" || fields[0] == "X" || flags&pfExiting != 0
}

// pfExiting is the kernel's PF_EXITING task flag (field 9 of stat): set as
// a process starts to exit, before it closes its files.
const pfExiting = 0x4

// alive reports whether the process o may still run: false only when it
// is known to be gone. A process in another PID namespace (another
// container sharing the file) cannot be looked up: its holds lapse at
// their expiry.
func alive(me, o owner) bool {
	if me.ns == 0 || o.ns != me.ns {
		return true
	}
	if o.pid == me.pid {
		return o.start == me.start
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(int(o.pid))); err != nil {
		return !os.IsNotExist(err)
	}
	t, ended := stat(int(o.pid))
	return !ended && (o.start == 0 || t == 0 || t == o.start)
}

// BootID names this boot of the machine: a file's holds from another boot
// are all gone.
func BootID() (id [16]byte) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return id
	}
	hex.Decode(id[:], bytes.ReplaceAll(bytes.TrimSpace(b), []byte("-"), nil)) //nolint:errcheck // a boot ID that is not hex leaves zeros: the comparison then just fails
	return id
}
