-- One row per finished request. No prompt or answer text: counts, money
-- (integer picodollars), names and a hash of the request key.
CREATE TABLE requests (
	id                 INTEGER PRIMARY KEY,
	time_us            INTEGER NOT NULL, -- Unix microseconds, UTC
	request_id         TEXT    NOT NULL,
	agent              TEXT    NOT NULL,
	frontend           TEXT    NOT NULL,
	transport          TEXT    NOT NULL,
	session            TEXT    NOT NULL,
	model              TEXT    NOT NULL,
	model_id           TEXT    NOT NULL,
	key_hash           TEXT    NOT NULL,
	cached             INTEGER NOT NULL,
	coalesced          INTEGER NOT NULL,
	stream             INTEGER NOT NULL,
	kind               TEXT    NOT NULL,
	finish_reason      TEXT    NOT NULL,
	input_tokens       INTEGER NOT NULL,
	output_tokens      INTEGER NOT NULL,
	cache_read_tokens  INTEGER NOT NULL,
	cache_write_tokens INTEGER NOT NULL,
	usage_estimated    INTEGER NOT NULL,
	cost_pico          INTEGER NOT NULL,
	priced             INTEGER NOT NULL,
	unpriced           INTEGER NOT NULL,
	saved_pico         INTEGER NOT NULL,
	latency_us         INTEGER NOT NULL,
	fallbacks          INTEGER NOT NULL,
	attempts           TEXT    NOT NULL  -- JSON array
);
CREATE INDEX requests_time ON requests (time_us);
