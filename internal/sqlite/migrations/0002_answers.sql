-- The answer cache shared by every gateway process on the machine (the L2
-- tier behind each process's in-memory LRU).
CREATE TABLE answers (
	key        TEXT    PRIMARY KEY,
	value      BLOB    NOT NULL, -- JSON of the completion
	size       INTEGER NOT NULL,
	expires_us INTEGER NOT NULL,
	written_us INTEGER NOT NULL
);
CREATE INDEX answers_written ON answers (written_us);

-- Running totals, so that bounding the cache reads one row.
CREATE TABLE answers_size (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	entries INTEGER NOT NULL,
	bytes   INTEGER NOT NULL
);
INSERT INTO answers_size VALUES (1, 0, 0);
CREATE TRIGGER answers_ins AFTER INSERT ON answers BEGIN
	UPDATE answers_size SET entries = entries + 1, bytes = bytes + NEW.size;
END;
CREATE TRIGGER answers_del AFTER DELETE ON answers BEGIN
	UPDATE answers_size SET entries = entries - 1, bytes = bytes - OLD.size;
END;
CREATE TRIGGER answers_upd AFTER UPDATE OF size ON answers BEGIN
	UPDATE answers_size SET bytes = bytes - OLD.size + NEW.size;
END;
