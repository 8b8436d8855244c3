-- Signed votes ordered by when they were signed, pruning of tables that only
-- grew, and the deployment's EIP-712 salt.
-- A migration that has shipped is never edited: add a new file instead.

-- A signed vote's own timestamp (Unix milliseconds; NULL for a chat or
-- operator vote, which is ordered by cast_at): a signed vote not newer than
-- the voter's current one is refused.
ALTER TABLE votes ADD COLUMN signed_at INTEGER;

-- Pruning reads challenges long expired by this range. Digests past the
-- replay window are found by a scan instead: pruned, the table holds about
-- an hour of messages, and an index on accepted_at would cost every signed
-- vote a second B-tree insert (measured: about 5 % of the store's rate in
-- the ingest benchmark).
CREATE INDEX link_challenges_by_expiry ON link_challenges (expires_at);

-- `/verify <signature>` in a chat looks up the account's newest challenge.
CREATE INDEX link_challenges_by_account ON link_challenges (account, issued_at);

-- One row: what makes this deployment's signatures its own. The salt of the
-- EIP-712 domain, drawn at random when first asked for (unless the operator
-- configured one), so a message signed for another iodao on the same chain
-- never verifies here.
CREATE TABLE deployment (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    eip712_salt TEXT    NOT NULL                -- 0x + 64 hex digits
                CHECK (length(eip712_salt) = 66 AND eip712_salt GLOB '0x*'),
    created_at  INTEGER NOT NULL
);
