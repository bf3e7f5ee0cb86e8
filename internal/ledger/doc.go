// Package ledger keeps one record per finished request, durably, so that
// totals (requests, tokens, spend, savings, errors) survive restarts and
// span every gateway process that shares a store.
//
// A Store is where records live: in memory (NewMemory, no persistence), in
// a SQLite file (package sqlite, the default) or in PostgreSQL (package
// postgres). Every store passes the contract suite in package ledgertest.
//
// A Ledger sits in front of a Store. It is the gateway.Recorder the core
// calls before an answer is returned. Over a Journaled store (SQLite) with
// a JournalDir, a Record is a copy into this process's memory-mapped
// journal file (one write(2) where it cannot be mapped), which survives the
// process being killed; a background goroutine moves records into the
// store, each exactly once, and the journals of ended processes are moved
// by whichever process looks next (every read does).
// Over other stores, concurrent Records are written together in one
// commit (group commit). Either way an answer that reached an agent is in
// the ledger. When the store cannot be written, the Ledger keeps answering:
// records wait in a bounded spool, the failure is logged and reported by
// Health, and the spool is written out when the store comes back. Run
// prunes records older than the retention period.
//
// No prompt or answer text is ever stored: a record holds counts, money,
// names and a hash of the request key.
package ledger
