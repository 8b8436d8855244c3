-- The devices a device-program recipient shares its payouts with, each by
-- its ioID device address, with a score: a program's payout is split across
-- its registered devices in proportion to their scores (equal scores: an
-- equal split), and each device's part goes to its ioID's owner, read from
-- the ioID registry at the epoch's snapshot block.
CREATE TABLE recipient_devices (
    recipient_id INTEGER NOT NULL REFERENCES recipients (id),
    device       TEXT    NOT NULL,            -- EIP-55 0x form of the device address
    score        INTEGER NOT NULL CHECK (score >= 1),
    added_at     INTEGER NOT NULL,
    PRIMARY KEY (recipient_id, device)
) WITHOUT ROWID;

-- The execution journal of claim-mode payouts: an epoch's Merkle root, from
-- planned to sent (`setRoot` transaction, nonce) to confirmed (block, gas
-- used), with the leaves it was built from, so a rerun publishes the same
-- root and exports the same proofs. The contract sets a root once, so a
-- rerun never sets it twice; an epoch is paid by claims or by pushed
-- batches, never both.
CREATE TABLE claim_roots (
    epoch        INTEGER PRIMARY KEY REFERENCES epochs (number),
    distributor  TEXT    NOT NULL,            -- the claim-mode contract, EIP-55
    root         TEXT    NOT NULL,            -- 0x-hex
    total        TEXT    NOT NULL,            -- wei, decimal: what the leaves add up to
    leaves       TEXT    NOT NULL,            -- JSON [["0x…", "wei"], …], leaf i = (i, account, amount)
    state        TEXT    NOT NULL CHECK (state IN ('planned', 'sent', 'confirmed')),
    tx_hash      TEXT,
    nonce        INTEGER,
    block        INTEGER,
    gas_used     INTEGER,
    updated_at   INTEGER NOT NULL
);
