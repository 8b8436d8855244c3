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
