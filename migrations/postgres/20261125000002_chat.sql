-- Relationships, groups, conversations and messages (the seed's Friendships, Groups, User_Groups,
-- Conversations, User_Conversations and Messages).

-- One row per (requester, addressee). A block is a row with status 'blocked' whose requester is the
-- blocker; two users may block each other, so the reverse row may exist too.
CREATE TABLE friendships (
    id           BIGSERIAL PRIMARY KEY,
    requester_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    addressee_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'blocked')),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    CHECK (requester_id <> addressee_id)
);
CREATE UNIQUE INDEX friendships_pair_key ON friendships (requester_id, addressee_id);
CREATE INDEX friendships_addressee_idx ON friendships (addressee_id);

CREATE TABLE conversations (
    conversation_id   TEXT PRIMARY KEY,
    conversation_type TEXT NOT NULL CHECK (conversation_type IN ('direct', 'group')),
    name              TEXT,
    avatar_url        TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    -- Newest message, for the conversation list (one write per send, whatever the room size).
    last_message_id   TEXT,
    last_message_ts   BIGINT
);

CREATE TABLE groups (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL,
    description     TEXT,
    avatar_url      TEXT,
    created_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    conversation_id TEXT NOT NULL UNIQUE REFERENCES conversations (conversation_id),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_groups (
    id        BIGSERIAL PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id  BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX user_groups_member_key ON user_groups (group_id, user_id);
CREATE INDEX user_groups_user_idx ON user_groups (user_id);

-- A participant's own view of a conversation; the row's existence is the participation.
-- Unread counts derive from last_read_message_ts, so a send updates no member rows.
CREATE TABLE user_conversations (
    user_id              BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id      TEXT NOT NULL REFERENCES conversations (conversation_id) ON DELETE CASCADE,
    last_read_message_id TEXT,
    last_read_message_ts BIGINT NOT NULL DEFAULT 0,
    muted                BOOLEAN NOT NULL DEFAULT FALSE,
    archived             BOOLEAN NOT NULL DEFAULT FALSE,
    pinned               BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);
CREATE INDEX user_conversations_conversation_idx ON user_conversations (conversation_id);

-- message_ts is the TimeUUID's own 60-bit timestamp: ordering by (message_ts, message_id) is
-- ordering by TimeUUID as Cassandra does.
CREATE TABLE messages (
    conversation_id  TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    message_ts       BIGINT NOT NULL,
    sender_id        BIGINT NOT NULL,
    recipient_id     BIGINT,
    content          TEXT NOT NULL,
    media_urls       JSONB NOT NULL DEFAULT '[]',
    message_type     TEXT NOT NULL CHECK (message_type IN ('text', 'image', 'file', 'system')),
    status           TEXT NOT NULL,
    timestamp        TIMESTAMPTZ NOT NULL,
    edited           BOOLEAN NOT NULL DEFAULT FALSE,
    edited_timestamp TIMESTAMPTZ,
    deleted          BOOLEAN NOT NULL DEFAULT FALSE,
    metadata         JSONB NOT NULL DEFAULT '{}',
    client_msg_id    TEXT,
    PRIMARY KEY (conversation_id, message_ts, message_id)
);
CREATE UNIQUE INDEX messages_id_key ON messages (conversation_id, message_id);
-- A resend of the same client_msg_id by the same sender finds the stored message.
CREATE UNIQUE INDEX messages_client_msg_id_key ON messages (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
