//go:build unix

package limitsfile

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/llm-gateway/llm-gateway/internal/policy"
)

// Layout of the file: a header page, then the counters (an open-addressed
// hash table by key and window, linear probing), then the holds (slots
// found by their ID). Every field is native-endian and aligned, read and
// written in place through the mapping under the file's lock.
const (
	magic        = "LLMGWLIM"
	version      = 1
	headerSize   = 4096
	counterSize  = 256
	holdSize     = 512
	keyBytes     = counterSize - 48
	maxParts     = 16
	slotBits     = 20 // a hold ID's low bits are its slot
	numCounters  = 1 << 12
	numHolds     = 1 << 13
	fileSize     = headerSize + numCounters*counterSize + numHolds*holdSize
	maxFill      = numCounters * 3 / 4
	sweepEvery   = 60 // seconds between deletions of ended counters
	reapInterval = int64(10 * time.Millisecond)
)

type header struct {
	magic    [8]byte
	version  uint32
	dirty    uint32 // set while a process changes the tables
	counters uint32 // capacities, as created
	holds    uint32
	boot     [16]byte // the boot the holds were taken in
	seq      uint64   // last hold sequence number
	// nextExpiry is the earliest expiry of a hold, Unix nanoseconds; 0
	// when none is held.
	nextExpiry int64
	swept      int64 // Unix second ended counters were last deleted
	reaped     int64 // Unix nanosecond holds of dead processes were last looked for
	inUse      uint32
	holdsInUse uint32
	// holdTop is one past the highest hold slot ever taken: slots from
	// there on are free and untouched. freeHead is the first free slot
	// below it plus one, 0 for none; each free slot names the next.
	holdTop  uint32
	freeHead uint32
}

type counter struct {
	hash   uint64 // FNV-1a of the key, never 0; 0 marks an empty slot
	win    int64
	end    int64
	used   int64
	held   int64
	keyLen uint32 // bytes of key kept (a longer key is cut)
	_      uint32
	key    [keyBytes]byte
}

type part struct {
	hash   uint64
	win    int64
	amount int64
}

type hold struct {
	id      uint64 // 0 marks a free slot
	expires int64  // Unix nanoseconds
	pid     int32
	nparts  uint32
	start   uint64 // the process's start time, 0 if unknown
	ns      uint64 // its PID namespace, 0 if unknown
	parts   [maxParts]part
	next    uint32 // a free slot's next free slot plus one
	_       [holdSize - 44 - maxParts*24]byte
}

func init() {
	// The layout is the file's format: a change of these sizes is a new
	// version.
	if unsafe.Sizeof(counter{}) != counterSize || unsafe.Sizeof(hold{}) != holdSize || unsafe.Sizeof(header{}) > headerSize {
		panic("limitsfile: layout sizes changed")
	}
}

// Limits is the counters of one file, a policy.State. It is safe for
// concurrent use; each Limits holds its own descriptor, so two in one
// process exclude each other as two processes do.
type Limits struct {
	mu   sync.Mutex // one goroutine of this Limits at a time takes the file lock
	f    *os.File
	data []byte
	h    *header
	me   owner
	path string
}

var _ policy.State = (*Limits)(nil)

// owner identifies a process for its holds.
type owner struct {
	pid   int32
	start uint64
	ns    uint64
}

// ErrIncompatible is returned by Open for a file of another layout.
var ErrIncompatible = errors.New("limits file of another layout")

// Open opens the counter file at path, creating it if need be. A file
// left by a boot before this one keeps its counters and gives back its
// holds: no process of that boot is alive.
func Open(path string) (*Limits, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // the path is derived from STORE_URL, a setting of the operator
	if err != nil {
		return nil, fmt.Errorf("limits file: %w", err)
	}
	l := &Limits{f: f, path: path, me: self()}
	if err := l.init(); err != nil {
		f.Close()
		return nil, fmt.Errorf("limits file %s: %w", path, err)
	}
	return l, nil
}

func (l *Limits) init() error {
	if err := flock(l.f, syscall.LOCK_EX); err != nil {
		return err
	}
	defer flock(l.f, syscall.LOCK_UN) //nolint:errcheck // unlocking a descriptor this process holds fails only if it is closed
	st, err := l.f.Stat()
	if err != nil {
		return err
	}
	fresh := st.Size() == 0
	if fresh {
		if err := l.f.Truncate(fileSize); err != nil {
			return err
		}
	} else if st.Size() != fileSize {
		return fmt.Errorf("%w: %d bytes, want %d; remove it while no gateway runs", ErrIncompatible, st.Size(), fileSize)
	}
	l.data, err = syscall.Mmap(int(l.f.Fd()), 0, fileSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	l.h = (*header)(unsafe.Pointer(&l.data[0]))
	if fresh {
		copy(l.h.magic[:], magic)
		l.h.version, l.h.counters, l.h.holds = version, numCounters, numHolds
		l.h.boot = BootID()
		return nil
	}
	if string(l.h.magic[:]) != magic || l.h.version != version || l.h.counters != numCounters || l.h.holds != numHolds {
		_ = syscall.Munmap(l.data)
		l.data = nil
		return fmt.Errorf("%w (version %d); remove it while no gateway runs", ErrIncompatible, l.h.version)
	}
	if b := BootID(); b != l.h.boot {
		// Every process that held something has gone with the boot.
		l.h.dirty = 1
		for i := range l.h.holdTop {
			*l.holdAt(i) = hold{}
		}
		l.h.holdTop = 0
		l.repair()
		l.h.boot = b
		l.h.dirty = 0
	}
	return nil
}

// Close unmaps and closes the file; holds still taken stay until they
// are released by another handle, expire or their process is gone.
func (l *Limits) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.data == nil {
		return nil
	}
	err := syscall.Munmap(l.data)
	l.data, l.h = nil, nil
	return errors.Join(err, l.f.Close())
}

// Path is the file's path.
func (l *Limits) Path() string { return l.path }

// lock takes the file for one operation: this Limits's mutex, then the
// file lock that excludes other handles and processes. A process that
// died while it held the lock left the tables half changed: they are
// repaired first.
func (l *Limits) lock() error {
	l.mu.Lock()
	if l.data == nil {
		l.mu.Unlock()
		return errors.New("limits file closed")
	}
	if err := flock(l.f, syscall.LOCK_EX); err != nil {
		l.mu.Unlock()
		return fmt.Errorf("limits file lock: %w", err)
	}
	if l.h.dirty != 0 {
		l.repair()
	}
	l.h.dirty = 1
	return nil
}

func (l *Limits) unlock() {
	l.h.dirty = 0
	_ = flock(l.f, syscall.LOCK_UN)
	l.mu.Unlock()
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

func (l *Limits) counterAt(i uint32) *counter {
	return (*counter)(unsafe.Pointer(&l.data[headerSize+uintptr(i)*counterSize]))
}

func (l *Limits) holdAt(i uint32) *hold {
	return (*hold)(unsafe.Pointer(&l.data[headerSize+numCounters*counterSize+uintptr(i)*holdSize]))
}
