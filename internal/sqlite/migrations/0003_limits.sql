-- Counters of the governance policy's limits (package policy's State),
-- shared by every gateway process on the machine.
CREATE TABLE limit_counters (
	key   TEXT    NOT NULL, -- whose limit and which, e.g. "agent:a|budget.daily_usd"
	win   INTEGER NOT NULL, -- start of the period, Unix seconds; 0 for none
	end_s INTEGER NOT NULL, -- end of the period, Unix seconds; 0 for none
	used  INTEGER NOT NULL,
	held  INTEGER NOT NULL, -- the sum of the live holds' amounts
	PRIMARY KEY (key, win)
) WITHOUT ROWID;

-- What each call in flight holds, so that a hold whose process died is
-- given back at its expiry.
CREATE TABLE limit_holds (
	id         INTEGER PRIMARY KEY,
	expires_us INTEGER NOT NULL,
	parts      TEXT    NOT NULL -- JSON [[key, win, amount], ...]
);
CREATE INDEX limit_holds_expires ON limit_holds (expires_us);
