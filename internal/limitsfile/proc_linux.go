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
	o := owner{pid: int32(pid), start: startTime(pid)}
	if link, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		// pid:[4026531836]
		s := strings.TrimSuffix(strings.TrimPrefix(link, "pid:["), "]")
		o.ns, _ = strconv.ParseUint(s, 10, 64)
	}
	return o
}

// startTime is when pid started, in clock ticks since boot (field 22 of
// /proc/PID/stat); 0 if it cannot be read.
func startTime(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0
	}
	t, _ := strconv.ParseUint(fields[19], 10, 64)
	return t
}

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
	if o.start == 0 {
		return true
	}
	t := startTime(int(o.pid))
	return t == 0 || t == o.start
}

// bootID names this boot of the machine: a file's holds from another boot
// are all gone.
func bootID() (id [16]byte) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return id
	}
	hex.Decode(id[:], bytes.ReplaceAll(bytes.TrimSpace(b), []byte("-"), nil))
	return id
}
