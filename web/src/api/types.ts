// Wire shapes of the daemon's REST API and Socket.IO events (README "HTTP API" and
// "Real-time protocol"); kept apart from UI state so a server change shows up in one place.

/** Another user, as anyone signed in may see them. */
export interface User {
  id: number;
  username: string;
  display_name: string | null;
  profile_picture_url: string | null;
  status: string | null;
  last_seen: string | null;
  created_at: string;
}

/** The signed-in account: the public view plus private contact details. */
export interface Me extends User {
  email: string;
  phone_number: string | null;
  updated_at: string;
}

export interface LoginResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  user: Me;
}

export interface UserSearchPage {
  users: User[];
  next_cursor: string | null;
}

export type FriendshipStatus = "pending" | "accepted" | "declined" | "blocked";

/** A relationship row as seen by one side. */
export interface Friendship {
  requester_id: number;
  addressee_id: number;
  status: FriendshipStatus;
  created_at: string;
  updated_at: string;
}

export interface FriendLists {
  friends: Friendship[];
  incoming: Friendship[];
  outgoing: Friendship[];
  blocked: Friendship[];
}

export type GroupRole = "owner" | "admin" | "member";

export interface Group {
  id: number;
  name: string;
  description: string | null;
  avatar_url: string | null;
  created_by: number | null;
  conversation_id: string;
  created_at: string;
  updated_at: string;
}

export interface GroupMember {
  user_id: number;
  role: GroupRole;
  joined_at: string;
}

export interface GroupDetail extends Group {
  members: GroupMember[];
}

export type MessageType = "text" | "image" | "file" | "system";

/** A stored message; `message_id` is a TimeUUID and orders the history. */
export interface Message {
  conversation_id: string;
  message_id: string;
  sender_id: number;
  recipient_id: number | null;
  content: string;
  media_urls: string[];
  message_type: MessageType;
  status: string;
  timestamp: string;
  edited: boolean;
  edited_timestamp: string | null;
  deleted: boolean;
  metadata: Record<string, string>;
  client_msg_id: string | null;
}

/** A conversation as the caller sees it in their list. */
export interface Conversation {
  conversation_id: string;
  conversation_type: "direct" | "group";
  name: string | null;
  avatar_url: string | null;
  peer_id: number | null;
  created_at: string;
  updated_at: string;
  last_message: Message | null;
  unread_count: number;
  last_read_message_id: string | null;
  muted: boolean;
  archived: boolean;
  pinned: boolean;
}

export interface ConversationFlags {
  muted?: boolean;
  archived?: boolean;
  pinned?: boolean;
}

/** The body of every error answer, REST and socket acks alike. */
export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: ErrorBody };

export interface PresenceEvent {
  user_id: number;
  online: boolean;
  last_seen: string | null;
}

export interface TypingEvent {
  conversation_id: string;
  user_id: number;
  typing: boolean;
  /** How long a start lasts unless renewed. */
  expires_in_ms?: number;
}

/** One participant's read marker (`GET /api/conversations/{id}/read-markers`). */
export interface ReadMarker {
  user_id: number;
  last_read_message_id: string | null;
}

export interface MessagesReadEvent {
  conversation_id: string;
  user_id: number;
  message_id: string;
}

export interface ConversationUpdatedEvent {
  conversation_id: string;
  reason: string;
  removed?: boolean;
}

export interface FriendshipUpdatedEvent {
  user_id: number;
  status: FriendshipStatus | null;
}

/** The metadata key (and value) the server sets when a sender dismisses their message's link card. */
export const PREVIEW_KEY = "link_preview";
export const PREVIEW_DISMISSED = "dismissed";
