-- What the admin socket needs: live-session counts per signing key, the audit log, deletions.

-- One row per access token issued, so retiring a key can say how many sessions it ends.
-- Rows of expired tokens are pruned as new ones are issued.
CREATE TABLE token_grants (
    jti        TEXT PRIMARY KEY,
    kid        TEXT NOT NULL REFERENCES signing_keys (kid),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    expires_at TEXT NOT NULL
);
CREATE INDEX token_grants_kid_idx ON token_grants (kid, expires_at);
CREATE INDEX token_grants_user_idx ON token_grants (user_id);
CREATE INDEX token_grants_expiry_idx ON token_grants (expires_at);

-- Every admin action: who (peer uid from SO_PEERCRED), what, when, how it ended.
CREATE TABLE admin_audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    uid      INTEGER NOT NULL,
    username TEXT,
    action   TEXT NOT NULL,
    status   INTEGER NOT NULL,
    outcome  TEXT NOT NULL
);

-- A deleted account keeps its row (its messages still name a sender) but loses everything that
-- identified the person.
ALTER TABLE users ADD COLUMN deleted_at TEXT;
