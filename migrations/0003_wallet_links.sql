-- Wallet links: a chat account proves control of an address by signing a
-- one-time EIP-4361 (Sign-In with Ethereum) challenge.

CREATE TABLE link_challenges (
    nonce      TEXT    PRIMARY KEY,
    account    TEXT    NOT NULL,            -- discord:<id> or telegram:<id>
    address    TEXT    NOT NULL,            -- EIP-55 0x form
    message    TEXT    NOT NULL,            -- the exact text to sign
    issued_at  INTEGER NOT NULL,            -- Unix milliseconds UTC
    expires_at INTEGER NOT NULL,
    used_at    INTEGER                      -- set once: a nonce is single-use
);

-- One address per chat account; several accounts may share an address.
CREATE TABLE links (
    account   TEXT    PRIMARY KEY,
    address   TEXT    NOT NULL,
    linked_at INTEGER NOT NULL
);

CREATE INDEX links_by_address ON links (address);
