-- Voting power read from a chain source, per (source, voter, block): a past
-- block's state never changes, so each is read from the node once.
CREATE TABLE stake_cache (
    source TEXT    NOT NULL,   -- e.g. erc20votes:4689:0x… (kind, chain, contract)
    voter  TEXT    NOT NULL,   -- EIP-55 0x form
    block  INTEGER NOT NULL,
    power  TEXT    NOT NULL,   -- wei, decimal
    PRIMARY KEY (source, voter, block)
) WITHOUT ROWID;
