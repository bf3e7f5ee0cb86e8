-- How far each gateway process's ledger journal (a file of records
-- written before answering) has been moved into requests: records and
-- offset are written in one transaction, so each is moved exactly once.
CREATE TABLE ledger_journals (
	name  TEXT    PRIMARY KEY, -- the journal file's name
	moved INTEGER NOT NULL     -- bytes of it whose records are in requests
) WITHOUT ROWID;
