//go:build unix

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/llm-gateway/llm-gateway/internal/limitsfile"
)

// The index of the shared cache's keys, in the file PATH-answers beside
// the database: a Bloom filter that every process sharing the database
// maps into memory. A miss of this process's memory tier looks there
// first, a few memory reads, and asks the database only for a key the
// filter may hold: a question no process has answered, what a miss
// almost always is, runs no query.
//
// A key's bits are set in the transaction that writes its answer, before
// it commits, so that a key committed is in the filter. Every change
// happens under the database's write lock, so processes change it one at
// a time; readers take no lock. Bits are never cleared: an answer evicted
// or expired stays a false positive (a query that finds nothing) until
// the filter is built again from the keys stored, into the second filter
// of the file, which then becomes the one read. A reader that saw the
// generation change while it read takes the key for present.
//
// The file is not synced: after a power cut it may lack keys that the
// database kept, so a file written in another boot is built again at
// Open.
const (
	indexMagic   = "LLMGWANS"
	indexVersion = 1
	indexHeader  = 4096
	indexBits    = 1 << 23 // per filter: 1 MiB
	indexWords   = indexBits / 64
	indexHashes  = 4
	indexSize    = indexHeader + 2*indexWords*8
	// indexRebuild is the keys added to a filter, past those it was built
	// with, after which it is built again: with 256Ki keys, a false
	// positive is one lookup in about 5 000.
	indexRebuild = 1 << 18
)

type indexHeaderData struct {
	magic   [8]byte
	version uint32
	_       uint32
	boot    [16]byte
	gen     atomic.Uint64 // the filter read is filters[gen%2]
	added   uint64        // keys added to the filter read, those it was built with included
	base    uint64        // keys it was built with
}

// index is the mapped file; nil where it cannot be used (the database
// is then asked for every key).
type index struct {
	f       *os.File
	data    []byte
	h       *indexHeaderData
	filters [2][]atomic.Uint64
}

// openIndex opens, creating or building it if need be, the index of the
// file's cache. It runs in a write transaction of the database, so that
// processes opening it together do so one at a time.
func (d *DB) openIndex(ctx context.Context) (*index, error) {
	f, err := os.OpenFile(d.path+"-answers", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	x := &index{f: f}
	err = d.retry(ctx, func() error {
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // after Commit it is sql.ErrTxDone; before, the error that ended the transaction is the one returned
		if err := x.init(ctx, tx); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		x.close()
		return nil, err
	}
	return x, nil
}

var errIndexLayout = errors.New("an index of another layout; remove it while no gateway runs")

func (x *index) init(ctx context.Context, tx *sql.Tx) error {
	if x.data != nil {
		return nil // mapped in an attempt that was retried
	}
	st, err := x.f.Stat()
	if err != nil {
		return err
	}
	fresh := st.Size() == 0
	if fresh {
		if err := x.f.Truncate(indexSize); err != nil {
			return err
		}
	} else if st.Size() != indexSize {
		return errIndexLayout
	}
	x.data, err = syscall.Mmap(int(x.f.Fd()), 0, indexSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	x.h = (*indexHeaderData)(unsafe.Pointer(&x.data[0]))
	for i := range x.filters {
		x.filters[i] = unsafe.Slice((*atomic.Uint64)(unsafe.Pointer(&x.data[indexHeader+i*indexWords*8])), indexWords)
	}
	boot := limitsfile.BootID()
	if fresh {
		copy(x.h.magic[:], indexMagic)
		x.h.version = indexVersion
	} else if string(x.h.magic[:]) != indexMagic || x.h.version != indexVersion {
		return errIndexLayout
	}
	if fresh || x.h.boot != boot {
		x.h.boot = boot
		return x.rebuild(ctx, tx, !fresh)
	}
	return nil
}

// hashes are the key's bit positions in a filter (double hashing of an
// FNV-1a hash).
func hashes(key string) [indexHashes]uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * 1099511628211
	}
	h2 := h*0x9e3779b97f4a7c15 | 1
	var out [indexHashes]uint64
	for i := range out {
		out[i] = (h + uint64(i)*h2) % indexBits //nolint:gosec // i is below indexHashes
	}
	return out
}

// mayHave reports whether key may be in the cache; false is certain.
func (x *index) mayHave(key string) bool {
	if x == nil {
		return true
	}
	gen := x.h.gen.Load()
	f := x.filters[gen%2]
	all := true
	for _, b := range hashes(key) {
		if f[b/64].Load()&(1<<(b%64)) == 0 {
			all = false
			break
		}
	}
	return all || x.h.gen.Load() != gen
}

// add sets keys' bits, in a write transaction of the database, before the
// transaction writes them.
func (x *index) add(keys []string) {
	if x == nil {
		return
	}
	f := x.filters[x.h.gen.Load()%2]
	for _, k := range keys {
		for _, b := range hashes(k) {
			f[b/64].Or(1 << (b % 64))
		}
	}
	x.h.added += uint64(len(keys))
}

// maybeRebuild builds the filter again, in a write transaction of the
// database, once enough keys were added since it was built.
func (x *index) maybeRebuild(ctx context.Context, tx *sql.Tx) error {
	if x == nil || x.h.added-x.h.base <= max(indexRebuild, x.h.base) {
		return nil
	}
	return x.rebuild(ctx, tx, true)
}

// rebuild builds the filter not read from the keys stored, then makes it
// the one read. A new file's filter is zeros already: not clearing it
// spares the process a MiB of resident pages.
func (x *index) rebuild(ctx context.Context, tx *sql.Tx, clear bool) error {
	gen := x.h.gen.Load()
	f := x.filters[(gen+1)%2]
	if clear {
		for i := range f {
			f[i].Store(0)
		}
	}
	rows, err := tx.QueryContext(ctx, "SELECT key FROM answers")
	if err != nil {
		return fmt.Errorf("answers index: %w", err)
	}
	defer rows.Close()
	var n uint64
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return fmt.Errorf("answers index: %w", err)
		}
		for _, b := range hashes(k) {
			f[b/64].Or(1 << (b % 64))
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("answers index: %w", err)
	}
	x.h.added, x.h.base = n, n
	x.h.gen.Store(gen + 1)
	return nil
}

// close closes the file. The mapping stays for the process's life (2 MiB
// of address space; the pages read are shared with the page cache): a Get
// that races the database's Close must not fault.
func (x *index) close() {
	if x != nil {
		x.f.Close()
	}
}
