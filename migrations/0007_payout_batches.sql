-- The execution journal: each batch of an epoch's push payouts, from planned
-- to sent (transaction, nonce) to confirmed (block, gas used). A run that
-- dies at any point resumes from here; the contract refuses a second payment
-- of the same (epoch, batch), so nothing is paid twice even if the journal
-- lags the chain.
CREATE TABLE payout_batches (
    epoch        INTEGER NOT NULL REFERENCES epochs (number),
    batch        INTEGER NOT NULL,
    distributor  TEXT    NOT NULL,            -- the contract, EIP-55
    recipients   TEXT    NOT NULL,            -- JSON [["0x…", "wei"], …]
    state        TEXT    NOT NULL CHECK (state IN ('planned', 'sent', 'confirmed')),
    tx_hash      TEXT,
    nonce        INTEGER,
    block        INTEGER,
    gas_used     INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (epoch, batch)
) WITHOUT ROWID;
