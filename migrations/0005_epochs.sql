-- Epochs: one allocation round each, with its published bundle (the inputs
-- and the result, from which anyone can recompute it) and its payouts.

CREATE TABLE epochs (
    number         INTEGER PRIMARY KEY,
    slot           INTEGER NOT NULL UNIQUE,   -- the scheduled time (ms): one epoch per slot
    snapshot_block INTEGER NOT NULL,
    budget         TEXT    NOT NULL,          -- wei, decimal
    spent          TEXT    NOT NULL,
    unallocated    TEXT    NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'allocated'
                   CHECK (state IN ('allocated', 'executing', 'executed')),
    digest         TEXT    NOT NULL,          -- keccak256 of the bundle
    bundle         TEXT    NOT NULL,          -- JSON
    created_at     INTEGER NOT NULL
);

CREATE TABLE epoch_payouts (
    epoch        INTEGER NOT NULL REFERENCES epochs (number),
    recipient_id INTEGER NOT NULL REFERENCES recipients (id),
    payout       TEXT    NOT NULL,            -- EIP-55 0x form, at allocation time
    amount       TEXT    NOT NULL,            -- wei, decimal
    target       TEXT    NOT NULL,
    binding      TEXT    NOT NULL,
    PRIMARY KEY (epoch, recipient_id)
) WITHOUT ROWID;
