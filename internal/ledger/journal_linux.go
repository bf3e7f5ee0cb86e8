package ledger

import (
	"os"
	"syscall"
)

// journalWindow is how much of a journal is allocated and mapped at a
// time: a frame is copied into the mapping, with no system call, and the
// window moves on (one fallocate, one mmap) every thousand records or so.
// The pages of one window are what the journal adds to the resident set.
const journalWindow = 1 << 20

// journalMap is the window of the journal mapped for writing.
type journalMap struct {
	win    []byte // the file from winOff, allocated; nil when not mapped
	winOff int64
	noMap  bool // mapping failed: frames are written with write(2)
}

var pageSize = int64(os.Getpagesize())

// write appends frame at the journal's end: copied into the mapped window
// (the header last, so that a reader, or a process killed during the
// copy, finds either the whole frame or zeros, the end), or else written
// with write(2). n is what a failed write(2) wrote.
func (j *journalFile) write(frame []byte) (n int, err error) {
	end := j.size + int64(len(frame))
	if (j.win == nil || end > j.winOff+int64(len(j.win))) && !j.remap(end) {
		j.unmap() // a write(2) that fails is cut off: the window must not outlive the file's end
		return j.writeAt(frame)
	}
	off := j.size - j.winOff
	copy(j.win[off+frameHeader:], frame[frameHeader:])
	copy(j.win[off:off+frameHeader], frame[:frameHeader])
	return len(frame), nil
}

// remap allocates and maps the window from the page of the journal's end,
// if the frame ending at end fits in it. It reports false if it does not
// or if the file cannot be allocated or mapped (a full disk, a file system
// without fallocate): frames are written with write(2) then.
func (j *journalFile) remap(end int64) bool {
	off := j.size &^ (pageSize - 1)
	if j.noMap || end > off+journalWindow {
		return false
	}
	j.unmap()
	fd := int(j.f.Fd())
	// Allocated, the window's pages need no disk space when they are
	// written: without, a full disk would be a SIGBUS in the copy.
	if err := syscall.Fallocate(fd, 0, off, journalWindow); err != nil {
		j.noMap = true
		return false
	}
	win, err := syscall.Mmap(fd, off, journalWindow, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		j.noMap = true
		return false
	}
	j.win, j.winOff = win, off
	return true
}

// unmap ends the mapping, if any.
func (j *journalFile) unmap() {
	if j.win != nil {
		_ = syscall.Munmap(j.win) // fails only for a mapping that is not one
		j.win = nil
	}
}

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14), which the syscall
// package does not name.
const madvPopulateWrite = 23

// journalAhead is how much of the window past the journal's end the mover
// makes ready for the next records: more than the records of a MoveEvery.
const journalAhead = 256 << 10

// ahead is the part of the mapped window that the next records will be
// copied into; the caller holds the ledger's lock.
func (j *journalFile) ahead() []byte {
	if j.win == nil {
		return nil
	}
	off := (j.size - j.winOff) &^ (pageSize - 1) // madvise wants a page's start
	return j.win[off:min(off+journalAhead, int64(len(j.win)))]
}

// prefault makes b's pages present and writable without writing them, so
// that the fault the first copy into each page would take (a page of the
// page cache, the file system's bookkeeping for a page about to be
// written) is taken by the mover rather than by a call. b may have been
// unmapped meanwhile, by a record that moved the window on: the advice
// writes nothing, so it is harmless wherever it lands, and its failure (an
// older kernel, a range no longer mapped) is ignored.
func prefault(b []byte) {
	if len(b) > 0 {
		_ = syscall.Madvise(b, madvPopulateWrite)
	}
}
