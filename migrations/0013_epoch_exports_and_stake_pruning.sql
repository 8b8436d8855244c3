-- The files an epoch publishes, built once and served as stored: its bundle
-- (immutable once it is allocated) and its claims with their proofs
-- (immutable once its claim root is journaled). The bytes are kept in
-- chunks so a large export is streamed without being held in memory.
CREATE TABLE epoch_exports (
    epoch      INTEGER NOT NULL REFERENCES epochs (number),
    kind       TEXT    NOT NULL CHECK (kind IN ('bundle', 'claims')),
    size       INTEGER NOT NULL,              -- bytes
    digest     TEXT    NOT NULL,              -- keccak256 of the bytes, 0x-hex
    chunks     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (epoch, kind)
) WITHOUT ROWID;

CREATE TABLE epoch_export_chunks (
    epoch INTEGER NOT NULL,
    kind  TEXT    NOT NULL,
    seq   INTEGER NOT NULL,                   -- from 0
    bytes BLOB    NOT NULL,
    PRIMARY KEY (epoch, kind, seq),
    FOREIGN KEY (epoch, kind) REFERENCES epoch_exports (epoch, kind)
);

-- Pages and checks no longer write stake read at a head block; drop what
-- they wrote before: powers at blocks that are no proposal's, epoch's or
-- run's snapshot (kept in step with Store::prune_stake_cache).
DELETE FROM stake_cache WHERE block NOT IN (
    SELECT snapshot_block FROM proposals WHERE snapshot_block IS NOT NULL
    UNION SELECT snapshot_block FROM epochs
    UNION SELECT snapshot_block FROM epoch_runs);
