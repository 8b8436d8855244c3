-- Proposals being written in a chat dialogue (/propose: title, then body,
-- then choices). One draft per chat account; kept here so that a restart of
-- the bot resumes the dialogue where it stopped.
CREATE TABLE proposal_drafts (
    account    TEXT    PRIMARY KEY,   -- discord:<id> or telegram:<id>
    title      TEXT,                  -- NULL until given
    body       TEXT,                  -- NULL until given
    started_at INTEGER NOT NULL,      -- Unix milliseconds UTC
    updated_at INTEGER NOT NULL
);
