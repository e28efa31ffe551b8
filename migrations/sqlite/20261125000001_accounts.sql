-- Accounts (the seed's Users table) and the keys that sign their access tokens.
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    username            TEXT NOT NULL,
    email               TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    phone_number        TEXT,
    display_name        TEXT,
    profile_picture_url TEXT,
    status              TEXT,
    last_seen           TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    -- Set while an administrator has disabled the account.
    disabled_at         TEXT,
    -- Copied into every access token; bumped to revoke them all.
    token_version       INTEGER NOT NULL DEFAULT 0
);
-- Usernames are stored lower-cased; e-mails as typed, unique case-insensitively.
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_phone_number_key ON users (phone_number);
CREATE INDEX users_display_name_idx ON users (lower(display_name));

CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY,
    algorithm  TEXT NOT NULL,
    secret     BLOB NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('active', 'verify_only', 'retired')),
    created_at TEXT NOT NULL,
    retired_at TEXT
);
-- Exactly one key signs new tokens.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';
