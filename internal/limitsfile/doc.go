// Package limitsfile keeps the governance policy's counters (a
// policy.State) in a small memory-mapped file beside the SQLite store, so
// that every gateway process on the machine enforces one set of limits
// and budgets at the cost of a lock and a few memory reads and writes per
// step, instead of a write transaction.
//
// The file holds what changes on every call and needs no durability of
// its own: request and token counts of the current minute, the calls in
// flight, the reservations they hold, and the spend counted in each
// budget's period, which is seeded from the ledger (policy.Spender) when
// a period's counter is first made, so a lost or removed file costs no
// budget. Each step takes the file's flock(2) lock, so the check and the
// count are one atomic step across processes, as SQLite's own -shm file
// does for its WAL index; the file must be on a local file system.
//
// A process that dies in a call leaves holds: each hold names its process
// (PID, start time, PID namespace), and a claim that holds would refuse
// first gives back the holds of processes that are gone (ended, or
// zombies; looked for at most every 10 ms); any hold also lapses at its
// expiry. Holds of a past
// boot are given back when the file is opened. A process killed while it
// held the lock leaves a mark that makes the next one rebuild the tables.
//
// On systems without flock and mmap (Windows), Open returns an error and
// the gateway keeps its counters in the SQLite file instead.
package limitsfile
