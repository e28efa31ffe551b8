-- Relationships, groups, conversations and messages (the seed's Friendships, Groups, User_Groups,
-- Conversations, User_Conversations and Messages).

-- One row per (requester, addressee). A block is a row with status 'blocked' whose requester is the
-- blocker; two users may block each other, so the reverse row may exist too.
CREATE TABLE friendships (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    requester_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    addressee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'blocked')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK (requester_id <> addressee_id)
);
CREATE UNIQUE INDEX friendships_pair_key ON friendships (requester_id, addressee_id);
CREATE INDEX friendships_addressee_idx ON friendships (addressee_id);

CREATE TABLE conversations (
    conversation_id   TEXT PRIMARY KEY,
    conversation_type TEXT NOT NULL CHECK (conversation_type IN ('direct', 'group')),
    name              TEXT,
    avatar_url        TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    -- Newest message, for the conversation list (one write per send, whatever the room size).
    last_message_id   TEXT,
    last_message_ts   INTEGER
);

CREATE TABLE groups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL,
    description     TEXT,
    avatar_url      TEXT,
    created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    conversation_id TEXT NOT NULL UNIQUE REFERENCES conversations (conversation_id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE user_groups (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at TEXT NOT NULL
);
CREATE UNIQUE INDEX user_groups_member_key ON user_groups (group_id, user_id);
CREATE INDEX user_groups_user_idx ON user_groups (user_id);

-- A participant's own view of a conversation; the row's existence is the participation.
-- Unread counts derive from last_read_message_ts, so a send updates no member rows.
CREATE TABLE user_conversations (
    user_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id      TEXT NOT NULL REFERENCES conversations (conversation_id) ON DELETE CASCADE,
    last_read_message_id TEXT,
    last_read_message_ts INTEGER NOT NULL DEFAULT 0,
    muted                INTEGER NOT NULL DEFAULT 0,
    archived             INTEGER NOT NULL DEFAULT 0,
    pinned               INTEGER NOT NULL DEFAULT 0,
    joined_at            TEXT NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);
CREATE INDEX user_conversations_conversation_idx ON user_conversations (conversation_id);

-- message_ts is the TimeUUID's own 60-bit timestamp: ordering by (message_ts, message_id) is
-- ordering by TimeUUID as Cassandra does.
CREATE TABLE messages (
    conversation_id  TEXT NOT NULL,
    message_id       TEXT NOT NULL,
    message_ts       INTEGER NOT NULL,
    sender_id        INTEGER NOT NULL,
    recipient_id     INTEGER,
    content          TEXT NOT NULL,
    media_urls       TEXT NOT NULL DEFAULT '[]',
    message_type     TEXT NOT NULL CHECK (message_type IN ('text', 'image', 'file', 'system')),
    status           TEXT NOT NULL,
    timestamp        TEXT NOT NULL,
    edited           INTEGER NOT NULL DEFAULT 0,
    edited_timestamp TEXT,
    deleted          INTEGER NOT NULL DEFAULT 0,
    metadata         TEXT NOT NULL DEFAULT '{}',
    client_msg_id    TEXT,
    PRIMARY KEY (conversation_id, message_ts, message_id)
);
CREATE UNIQUE INDEX messages_id_key ON messages (conversation_id, message_id);
-- A resend of the same client_msg_id by the same sender finds the stored message.
CREATE UNIQUE INDEX messages_client_msg_id_key ON messages (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
