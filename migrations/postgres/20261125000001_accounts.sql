-- Accounts (the seed's Users table) and the keys that sign their access tokens.
CREATE TABLE users (
    id                  BIGSERIAL PRIMARY KEY,
    username            VARCHAR(32) NOT NULL,
    email               VARCHAR(254) NOT NULL,
    password_hash       TEXT NOT NULL,
    phone_number        VARCHAR(16),
    display_name        VARCHAR(64),
    profile_picture_url TEXT,
    status              TEXT,
    last_seen           TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    -- Set while an administrator has disabled the account.
    disabled_at         TIMESTAMPTZ,
    -- Copied into every access token; bumped to revoke them all.
    token_version       BIGINT NOT NULL DEFAULT 0
);
-- Usernames are stored lower-cased; e-mails as typed, unique case-insensitively.
CREATE UNIQUE INDEX users_username_key ON users (username);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_phone_number_key ON users (phone_number);
-- text_pattern_ops lets `LIKE 'prefix%'` use the index whatever the database collation.
CREATE INDEX users_username_prefix_idx ON users (username text_pattern_ops);
CREATE INDEX users_display_name_prefix_idx ON users (lower(display_name) text_pattern_ops);

CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY,
    algorithm  TEXT NOT NULL,
    secret     BYTEA NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('active', 'verify_only', 'retired')),
    created_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ
);
-- Exactly one key signs new tokens.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';
