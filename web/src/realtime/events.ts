// Server → client events, each routed to the store that owns its data. Handlers are idempotent:
// the same message may arrive as an ack, an echo and a catch-up page.
import type { Socket } from "socket.io-client";
import { fetchMe } from "../api/auth";
import type {
  ConversationUpdatedEvent,
  FriendshipUpdatedEvent,
  Message,
  MessagesReadEvent,
  PresenceEvent,
  TypingEvent,
} from "../api/types";
import { useConnection } from "../stores/connection";
import { useConversations } from "../stores/conversations";
import { useFriends } from "../stores/friends";
import { useGroups } from "../stores/groups";
import { useMessages } from "../stores/messages";
import { usePresence } from "../stores/presence";
import { useReceipts } from "../stores/receipts";
import { myId, useSession } from "../stores/session";
import { useTyping } from "../stores/typing";
import { useView } from "../stores/view";
import { acceptStored } from "./outbox";
import { markWatchedRead } from "./readMarker";
import { resyncAfterConnect } from "./sync";

// Several events for unknown conversations in a burst cost one list reload.
let reloadTimer: ReturnType<typeof setTimeout> | null = null;
function reloadConversationsSoon(): void {
  if (reloadTimer) return;
  reloadTimer = setTimeout(() => {
    reloadTimer = null;
    void useConversations.getState().load();
  }, 250);
}

function onMessage(message: Message): void {
  acceptStored(message);
  if (!useConversations.getState().byId[message.conversation_id]) reloadConversationsSoon();
  // Whoever just sent has stopped typing, whether or not their stop arrives.
  useTyping.getState().apply(message.conversation_id, message.sender_id, false);
  void markWatchedRead(message.conversation_id);
}

function onChanged(message: Message): void {
  useMessages.getState().receive(message.conversation_id, [message]);
  if (message.deleted) useConversations.getState().applyDeleted(message, myId());
  else useConversations.getState().applyMessage(message, myId(), false);
}

function onRead(event: MessagesReadEvent): void {
  if (event.user_id === myId()) useConversations.getState().applyRead(event.conversation_id, event.message_id);
  else useReceipts.getState().apply(event.conversation_id, event.user_id, event.message_id);
}

function onConversationUpdated(event: ConversationUpdatedEvent): void {
  if (event.removed) {
    // Leave its view first: a chat view still open on a conversation missing from the list would
    // fetch it again and get a 404.
    if (useView.getState().conversationId === event.conversation_id) location.hash = "#/";
    useConversations.getState().remove(event.conversation_id);
    useMessages.getState().drop(event.conversation_id);
  } else {
    void useConversations.getState().refresh(event.conversation_id);
  }
  void refreshGroupOf(event.conversation_id);
}

// Keeps an open group's member list current (member added, removed or left, roles changed).
async function refreshGroupOf(conversationId: string): Promise<void> {
  const groups = useGroups.getState();
  await groups.load().catch(() => {});
  const group = useGroups.getState().byConversation[conversationId];
  if (group && groups.details[group.id]) await useGroups.getState().loadDetail(group.id).catch(() => {});
}

/** Attaches every listener to a fresh socket. */
export function bindEvents(socket: Socket): void {
  socket.on("connect", () => {
    useConnection.getState().setStatus("online");
    void resyncAfterConnect();
  });

  socket.on("disconnect", (reason) => {
    useConnection.getState().setStatus("offline");
    // The server closed this socket on purpose (e.g. the account's tokens were revoked): the
    // client does not reconnect by itself, so check the token (a 401 signs out) and try again.
    if (reason === "io server disconnect") {
      fetchMe().then(
        () => socket.connect(),
        () => setTimeout(() => socket.connect(), 5_000),
      );
    }
  });

  socket.on("connect_error", (error) => {
    useConnection.getState().setStatus(useConnection.getState().everOnline ? "offline" : "connecting");
    // `active` false means the server refused the handshake (bad, expired or revoked token); the
    // client will not retry, and the user must log in again. Network failures keep it active.
    if (!socket.active) useSession.getState().logout(error.message || "Please log in again.");
  });

  // The server says this socket may have missed live events (its node lost Redis for a while,
  // or fell behind): catch up exactly as after a reconnect.
  socket.on("resync", () => void resyncAfterConnect());
  socket.on("receive_message", onMessage);
  socket.on("message_edited", onChanged);
  socket.on("message_deleted", onChanged);
  socket.on("messages_read", onRead);
  socket.on("typing", (event: TypingEvent) => {
    if (event.user_id !== myId())
      useTyping.getState().apply(event.conversation_id, event.user_id, event.typing, event.expires_in_ms);
  });
  socket.on("presence", (event: PresenceEvent) => usePresence.getState().apply([event]));
  socket.on("conversation_updated", onConversationUpdated);
  socket.on("friendship_updated", (_event: FriendshipUpdatedEvent) => {
    void useFriends.getState().load().catch(() => {});
    reloadConversationsSoon();
  });
}
