-- Proposals, votes and the live tally.
-- Amounts are wei as decimal text (never REAL); times are Unix milliseconds UTC.
-- A migration that has shipped is never edited: add a new file instead.

CREATE TABLE proposals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    author          TEXT    NOT NULL,
    choices         TEXT    NOT NULL,           -- JSON array of labels
    method          TEXT    NOT NULL,
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    snapshot_block  INTEGER,                    -- fixed on activation
    quorum          TEXT    NOT NULL,           -- wei
    threshold_bps   INTEGER NOT NULL CHECK (threshold_bps BETWEEN 0 AND 10000),
    state           TEXT    NOT NULL,
    voter_count     INTEGER NOT NULL DEFAULT 0, -- live tally: voters with a current vote
    participation   TEXT    NOT NULL DEFAULT '0', -- live tally: their power, each once (wei)
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);

CREATE INDEX proposals_by_state ON proposals (state, id);

-- One current vote per voter per proposal: the primary key is the rule.
CREATE TABLE votes (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    voter       TEXT    NOT NULL,               -- EIP-55 0x form
    selection   TEXT    NOT NULL,               -- `number=bps` pairs, e.g. 1=6000,2=4000
    choice      INTEGER,                        -- 0-based, for single-choice proposals only
    power       TEXT    NOT NULL                -- wei at the snapshot block: plain digits
                CHECK (length(power) BETWEEN 1 AND 78 AND power NOT GLOB '*[^0-9]*'),
    source      TEXT    NOT NULL,
    cast_at     INTEGER NOT NULL,
    digest      TEXT,                           -- EIP-712 digest of a signed vote
    PRIMARY KEY (proposal_id, voter)
) WITHOUT ROWID;

-- EIP-712 digests of every signed message that was accepted: a replay of
-- one is refused.
CREATE TABLE signed_messages (
    digest      TEXT    PRIMARY KEY,            -- 0x-hex keccak-256 signing hash
    signer      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,               -- vote | proposal
    accepted_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The live tally, updated in the same transaction as each vote.
CREATE TABLE tallies (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    choice      INTEGER NOT NULL,
    power       TEXT    NOT NULL                -- wei: plain digits
                CHECK (length(power) BETWEEN 1 AND 78 AND power NOT GLOB '*[^0-9]*'),
    PRIMARY KEY (proposal_id, choice)
) WITHOUT ROWID;
