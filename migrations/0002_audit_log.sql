-- The audit log: every state change, appended in the same transaction as the
-- change, each row chained to the previous one by a keccak-256 hash so that
-- editing or deleting a row is detectable (`iodao audit verify`).

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,          -- 1, 2, 3, … with no gaps
    at        INTEGER NOT NULL,             -- Unix milliseconds UTC
    actor     TEXT    NOT NULL,             -- who: an address, a chat account, `cli`, `system`
    action    TEXT    NOT NULL,             -- what: proposal.created, vote.cast, …
    subject   TEXT    NOT NULL,             -- on what: proposal:3, …
    detail    TEXT    NOT NULL,             -- JSON
    prev_hash TEXT    NOT NULL,             -- hash of row seq − 1 (zeros for the first)
    hash      TEXT    NOT NULL              -- keccak-256 of this row's fields and prev_hash
);
