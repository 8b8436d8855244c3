-- Recipients (gauges) and stakers' standing allocation votes across them.

CREATE TABLE recipients (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    category   TEXT    NOT NULL CHECK (category IN ('device-program', 'depin-project', 'dapp')),
    payout     TEXT    NOT NULL,            -- EIP-55 0x form
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

-- A voter's split of power across recipients, in basis points (sum ≤ 10 000).
-- It stands across epochs until the voter changes it; a change replaces the
-- voter's whole split.
CREATE TABLE allocation_votes (
    voter        TEXT    NOT NULL,
    recipient_id INTEGER NOT NULL REFERENCES recipients (id),
    bps          INTEGER NOT NULL CHECK (bps BETWEEN 1 AND 10000),
    cast_at      INTEGER NOT NULL,
    PRIMARY KEY (voter, recipient_id)
) WITHOUT ROWID;

CREATE INDEX allocation_votes_by_recipient ON allocation_votes (recipient_id);
