package ledger

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// A Journaled store takes records moved from journal files exactly once:
// with the records it keeps how far each journal has been moved, in the
// same transaction. The SQLite store is one; a Ledger over one, given a
// JournalDir, answers from a journal and moves records in the background.
type Journaled interface {
	Store
	// MoveJournals runs fn in one write transaction, which excludes every
	// other process's: what fn appends is committed, with the offsets it
	// set, when fn returns nil, and not at all otherwise. fn may be run
	// again when the store was busy.
	MoveJournals(ctx context.Context, fn func(JournalTx) error) error
}

// JournalTx is a write transaction of a Journaled store.
type JournalTx interface {
	// Moved is the offset up to which journal name's records are in the
	// store; zero for a journal it has not seen.
	Moved(name string) (int64, error)
	// Append appends recs, read from journal name, and sets its offset.
	Append(name string, recs []Record, moved int64) error
	// Forget drops journal name's offset, once its file is gone.
	Forget(name string) error
}

// Journal files: each gateway process appends the records of its calls to
// a file of its own, <dir>/<pid>-<random>.journal, each record one frame:
// a 4-byte little-endian length, a 4-byte CRC-32C of the payload, and the
// payload, the record as JSON. A frame is copied into a shared memory
// mapping of the file (Linux; its header last), or written with one
// write(2) where the file cannot be mapped: either way, once copied it is
// in the operating system's page cache, so it survives the process being
// killed at any moment. The file is allocated ahead of the frames a
// window at a time (fallocate), so a full disk fails an allocation, which
// is reported like a failed write, never a write into the mapping; the
// allocated space reads as zeros, which end the frames as the end of the
// file does. The owner holds an exclusive flock on its file while it
// lives: a file nobody holds is a dead process's, whose records any
// process moves into the store and then removes the file.
const (
	journalExt    = ".journal"
	frameHeader   = 8
	maxFrame      = 1 << 20 // a record is about 1 KiB; a larger length is garbage
	sweepInterval = time.Minute
)

// MoveDelay is how long the mover waits after a record arrives before it
// moves what has arrived: records of calls close together share a commit.
// Under steady traffic it moves at most once per MoveEvery, so that a
// commit's cost (several pages written to the WAL, whatever the batch)
// is shared by the calls of that time rather than of 10 ms. Readers do not
// wait for either (they move the journals themselves).
const (
	MoveDelay = 10 * time.Millisecond
	MoveEvery = 50 * time.Millisecond
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends rec's frame to b.
func appendFrame(b []byte, rec *Record) ([]byte, error) {
	payload, err := json.Marshal(rec)
	if err != nil {
		return b, err
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload))) //nolint:gosec // a record is bounded far below 4 GiB (MAX_MESSAGE_BYTES)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(payload, castagnoli))
	return append(b, payload...), nil
}

// readFrames reads the whole frames of r, which starts at offset from, and
// returns their records and the offset past the last one. It stops at the
// end, at a frame cut short (a write in progress, or a torn one) and at a
// frame that does not check (garbage); bad is true for the last.
func readFrames(r io.Reader, from int64) (recs []Record, end int64, bad bool, err error) {
	br := bufio.NewReader(r)
	end = from
	var hdr [frameHeader]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return recs, end, false, readErr(err)
		}
		n := binary.LittleEndian.Uint32(hdr[:4])
		if n == 0 {
			return recs, end, false, nil // the space allocated ahead of the frames
		}
		if n > maxFrame {
			return recs, end, true, nil
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return recs, end, false, readErr(err)
		}
		var rec Record
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) || json.Unmarshal(payload, &rec) != nil {
			return recs, end, true, nil
		}
		recs = append(recs, rec)
		end += frameHeader + int64(n)
	}
}

func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// journalFile is this process's journal, open for appending and locked.
type journalFile struct {
	f    *os.File
	name string // the file's base name, its key in the store
	path string
	size int64 // bytes written; past the last whole frame
	journalMap
}

// writeAt writes frame at the journal's end with one write(2), where it
// is not mapped.
func (j *journalFile) writeAt(frame []byte) (int, error) {
	return j.f.WriteAt(frame, j.size)
}

// close unmaps and closes the file.
func (j *journalFile) close() {
	j.unmap()
	j.f.Close()
}

// createJournal creates and locks a new journal file in dir. It is made
// under a temporary name and renamed once locked, so that no other
// process sees it unlocked and takes it for a dead one's.
func createJournal(dir string) (*journalFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(rnd[:]) + journalExt
	tmp := filepath.Join(dir, "."+name+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600) // read too: a shared mapping needs it
	if err != nil {
		return nil, err
	}
	if err := lockFile(f, true); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	path := filepath.Join(dir, name)
	if err := os.Rename(tmp, path); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &journalFile{f: f, name: name, path: path}, nil
}

// journalNames lists the journal files of dir but own.
func journalNames(dir, own string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, journalExt) && !strings.HasPrefix(n, ".") && n != own && e.Type().IsRegular() {
			names = append(names, n)
		}
	}
	return names, nil
}

// moveOthers moves into the store the records of every other process's
// journal in the directory that are not there yet, in one transaction, and
// removes the journals of processes that have ended. Files are opened and
// read inside the transaction: a journal whose offset was dropped (Forget)
// is a removed file, never one read again from zero.
func (l *Ledger) moveOthers(ctx context.Context) error {
	l.mu.Lock()
	own := ""
	if l.jf != nil {
		own = l.jf.name
	}
	l.mu.Unlock()
	names, err := journalNames(l.opts.JournalDir, own)
	if err != nil || len(names) == 0 {
		return err
	}
	var dead []*os.File // locked: their processes have ended
	defer func() {
		for _, f := range dead {
			f.Close()
		}
	}()
	moved := 0
	err = l.js.MoveJournals(ctx, func(tx JournalTx) error {
		for _, f := range dead {
			f.Close()
		}
		dead, moved = dead[:0], 0
		for _, name := range names {
			f, err := os.Open(filepath.Join(l.opts.JournalDir, name))
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since listed: moved and forgotten
			}
			if err != nil {
				l.log.Warn("ledger: a journal cannot be read; its records are not counted until it can", "error", err)
				continue
			}
			from, err := tx.Moved(name)
			if err != nil {
				f.Close()
				return err
			}
			recs, end, bad, err := readJournal(f, from)
			if err != nil {
				f.Close()
				return fmt.Errorf("journal %s: %w", name, err)
			}
			if end > from {
				if err := tx.Append(name, recs, end); err != nil {
					f.Close()
					return err
				}
				moved += len(recs)
			}
			if lockFile(f, false) != nil {
				f.Close() // its process lives and moves it itself
				continue
			}
			if bad {
				l.log.Error("ledger journal of an ended process holds garbage past its last whole record (a power cut?); what follows is lost", "journal", name, "offset", end)
			}
			dead = append(dead, f)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if moved > 0 {
		l.log.Debug("ledger: records moved from other processes' journals", "records", moved)
	}
	for _, f := range dead {
		if err := l.removeJournal(ctx, filepath.Base(f.Name())); err != nil {
			return err
		}
	}
	return nil
}

// readJournal reads the frames of f from offset from.
func readJournal(f *os.File, from int64) (recs []Record, end int64, bad bool, err error) {
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil, from, false, err
	}
	return readFrames(f, from)
}

// removeJournal removes a journal whose records are all in the store, then
// drops its offset: a process that opens the file meanwhile finds it all
// moved, and one that looks later finds no file.
func (l *Ledger) removeJournal(ctx context.Context, name string) error {
	if err := os.Remove(filepath.Join(l.opts.JournalDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return l.js.MoveJournals(ctx, func(tx JournalTx) error { return tx.Forget(name) })
}

// journal appends rec to this process's journal, creating it at the first
// record, and wakes the mover. It reports false if the journal cannot be
// written (the record is then Record's to commit or spool).
func (l *Ledger) journal(rec *Record) bool {
	frame, err := appendFrame(nil, rec)
	if err != nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.jerr != nil {
		if l.opts.Now().Sub(l.jfailed) < l.opts.RetryEvery {
			return false
		}
		l.jerr = nil
	}
	if l.jf != nil && l.jf.size < 0 {
		return false // broken by a failed write; see below
	}
	if l.jf == nil {
		if l.jf, err = createJournal(l.opts.JournalDir); err != nil {
			l.jf = nil
			l.journalFailedLocked(err)
			return false
		}
	}
	start := l.jf.size
	if n, err := l.jf.write(frame); err != nil {
		// A frame cut short would hide every later one from a reader:
		// cut it off, or else write no more to this journal.
		if n > 0 && l.jf.f.Truncate(start) != nil {
			l.jf.size = -1
		}
		l.journalFailedLocked(err)
		return false
	}
	l.jf.size += int64(len(frame))
	l.pending = append(l.pending, pendingRec{start: start, end: l.jf.size, rec: *rec})
	select {
	case l.kick <- struct{}{}:
	default:
	}
	return true
}

func (l *Ledger) journalFailedLocked(err error) {
	if l.jerr == nil {
		l.log.Error("LEDGER JOURNAL UNWRITABLE: records are committed to the store before answering instead (slower)", "dir", l.opts.JournalDir, "error", err)
	}
	l.jerr, l.jfailed = err, l.opts.Now()
}

// mover moves this process's journal into the store as records arrive, and
// ended processes' journals at start and every minute, until Close.
func (l *Ledger) mover() {
	defer close(l.moverDone)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := l.moveOthers(ctx); err != nil && ctx.Err() == nil {
		l.log.Warn("ledger: moving ended processes' journals into the store", "error", err)
	}
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	wait := time.NewTimer(MoveEvery)
	wait.Stop()
	var retry <-chan time.Time
	var last time.Time // when the last move began
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			if err := l.moveOthers(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("ledger: moving ended processes' journals into the store", "error", err)
			}
			continue
		case <-l.kick:
			// Let the records of the next calls join: one commit for
			// several, which costs about what one costs.
			wait.Reset(max(MoveDelay, MoveEvery-time.Since(last)))
			select {
			case <-wait.C:
			case <-ctx.Done():
				return
			}
		case <-retry:
		}
		retry = nil
		last = time.Now()
		if err := l.moveOwn(ctx); err != nil && ctx.Err() == nil {
			retry = time.After(l.opts.RetryEvery)
		}
		var ahead []byte
		l.mu.Lock()
		if l.jf != nil {
			ahead = l.jf.ahead()
		}
		l.mu.Unlock()
		prefault(ahead)
	}
}

// moveOwn moves this process's pending records into the store, in batches
// of at most MaxBatch. Records that another process moved meanwhile (as a
// reader does) are skipped: the store's offset says which.
func (l *Ledger) moveOwn(ctx context.Context) error {
	l.moving.Lock()
	defer l.moving.Unlock()
	for {
		l.mu.Lock()
		n := min(len(l.pending), l.opts.MaxBatch)
		if n == 0 || l.jf == nil { // nothing pending, or closed
			// A journal all moved that grew past its bound (or that a
			// failed write broke) is replaced: the next record starts a
			// new one.
			var old *journalFile
			if n == 0 && l.jf != nil && (l.jf.size >= l.opts.MaxJournalBytes || l.jf.size < 0) {
				old, l.jf = l.jf, nil
			}
			l.mu.Unlock()
			if old != nil {
				if err := l.removeJournal(ctx, old.name); err != nil {
					l.log.Warn("ledger: removing a journal all moved; the next process removes it", "journal", old.path, "error", err)
				}
				old.close()
			}
			return nil
		}
		batch := l.pending[:n:n]
		end := batch[n-1].end
		name := l.jf.name
		l.mu.Unlock()

		wctx, cancel := context.WithTimeout(ctx, l.opts.WriteTimeout)
		err := l.js.MoveJournals(wctx, func(tx JournalTx) error {
			moved, err := tx.Moved(name)
			if err != nil || moved >= end {
				return err
			}
			recs := make([]Record, 0, len(batch))
			for _, p := range batch {
				if p.start >= moved {
					recs = append(recs, p.rec)
				}
			}
			return tx.Append(name, recs, end)
		})
		cancel()

		l.mu.Lock()
		if err != nil {
			if ctx.Err() == nil { // not the mover stopping
				l.failLocked(err)
			}
			l.mu.Unlock()
			return err
		}
		l.pending = l.pending[n:]
		l.written += int64(n)
		if !l.healthy && len(l.spool) == 0 {
			l.log.Warn("ledger store writable again", "down_for", l.opts.Now().Sub(l.since).String())
			l.healthy = true
		}
		l.mu.Unlock()
	}
}

// catchUp moves every journal in the directory into the store, so that a
// read sees every call answered so far by any process sharing it.
func (l *Ledger) catchUp(ctx context.Context) {
	if l.js == nil {
		return
	}
	err := l.moveOwn(ctx)
	if err == nil {
		err = l.moveOthers(ctx)
	}
	if err != nil && ctx.Err() == nil {
		l.log.Warn("ledger: moving journals before a read; the figures may lack the latest calls", "error", err)
	}
}

// closeJournal stops the mover, moves what is pending and removes this
// process's journal if all of it is in the store; if not, the journal stays
// for the next process to move.
func (l *Ledger) closeJournal(ctx context.Context) error {
	if l.js == nil {
		return nil
	}
	l.closing.Do(func() { close(l.stop) })
	<-l.moverDone
	err := l.moveOwn(ctx)
	l.mu.Lock()
	jf := l.jf
	l.jf = nil
	l.mu.Unlock()
	if jf == nil {
		return err
	}
	if err == nil && jf.size >= 0 {
		err = l.removeJournal(ctx, jf.name)
	}
	if err != nil {
		l.log.Error("ledger: closing with records in the journal, not yet in the store; the next gateway sharing it moves them", "journal", jf.path, "error", err)
	}
	jf.close()
	return err
}

// Totals implements Reader, after moving every journal into the store.
func (l *Ledger) Totals(ctx context.Context, f Filter) (Totals, error) {
	l.catchUp(ctx)
	return l.Store.Totals(ctx, f)
}

// Spent implements Reader, after moving every journal into the store.
func (l *Ledger) Spent(ctx context.Context, agent, model string, since time.Time) (gateway.PicoUSD, error) {
	l.catchUp(ctx)
	return l.Store.Spent(ctx, agent, model, since)
}

// Recent implements Reader, after moving every journal into the store.
func (l *Ledger) Recent(ctx context.Context, n int) ([]Record, error) {
	l.catchUp(ctx)
	return l.Store.Recent(ctx, n)
}

// Series implements Reader, after moving every journal into the store.
func (l *Ledger) Series(ctx context.Context, since time.Time, bucket time.Duration) ([]Point, error) {
	l.catchUp(ctx)
	return l.Store.Series(ctx, since, bucket)
}
