-- An epoch before it is allocated: opened at a snapshot block, tallied (the
-- recipients and every standing allocation with its voter's power at that
-- block, as JSON), or failed with a reason. The run's row is deleted in the
-- transaction that stores the allocated epoch (epochs), so an epoch is in
-- exactly one of the two tables; a crash leaves the row in the state it had
-- reached, and the next run resumes from there.
CREATE TABLE epoch_runs (
    slot           INTEGER PRIMARY KEY,          -- the scheduled time (ms), as epochs.slot
    number         INTEGER NOT NULL UNIQUE,      -- the number the epoch will have
    state          TEXT    NOT NULL CHECK (state IN ('open', 'tallied', 'failed')),
    snapshot_block INTEGER NOT NULL,
    inputs         TEXT,                         -- JSON, from tallied on
    failure        TEXT,                         -- why it failed
    started_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CHECK ((state = 'failed') = (failure IS NOT NULL))
);
