-- One row per finished request. No prompt or answer text: counts, money
-- (integer picodollars), names and a hash of the request key.
CREATE TABLE requests (
	id                 bigserial   PRIMARY KEY,
	time               timestamptz NOT NULL,
	request_id         text        NOT NULL,
	agent              text        NOT NULL,
	frontend           text        NOT NULL,
	transport          text        NOT NULL,
	session            text        NOT NULL,
	model              text        NOT NULL,
	model_id           text        NOT NULL,
	key_hash           text        NOT NULL,
	cached             boolean     NOT NULL,
	coalesced          boolean     NOT NULL,
	stream             boolean     NOT NULL,
	kind               text        NOT NULL,
	finish_reason      text        NOT NULL,
	input_tokens       bigint      NOT NULL,
	output_tokens      bigint      NOT NULL,
	cache_read_tokens  bigint      NOT NULL,
	cache_write_tokens bigint      NOT NULL,
	usage_estimated    boolean     NOT NULL,
	cost_pico          bigint      NOT NULL,
	priced             boolean     NOT NULL,
	unpriced           boolean     NOT NULL,
	saved_pico         bigint      NOT NULL,
	latency_us         bigint      NOT NULL,
	fallbacks          integer     NOT NULL,
	attempts           jsonb       NOT NULL
);
CREATE INDEX requests_time ON requests (time);
CREATE INDEX requests_agent_time ON requests (agent, time);
