-- A batch is written again when the acknowledgement of its commit is lost
-- (the connection cut as the server committed) and the ledger's spool
-- retries it: one row per request_id makes that retry write nothing.
DELETE FROM requests a USING requests b WHERE a.request_id = b.request_id AND a.id > b.id;
CREATE UNIQUE INDEX requests_request_id ON requests (request_id);
