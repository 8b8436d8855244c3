-- The portal's voter page lists one address's votes across proposals.
-- A migration that has shipped is never edited: add a new file instead.
CREATE INDEX votes_by_voter ON votes (voter, cast_at);
