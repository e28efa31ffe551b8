// Wiring that lives for the whole page: the socket follows the session (open on sign-in, closed and
// every store emptied on sign-out), tab visibility feeds read receipts, and typing indicators expire.
import { bindEvents } from "../realtime/events";
import { resetOutbox } from "../realtime/outbox";
import { forgetAskedPresence, trackPresence } from "../realtime/presenceTracker";
import { markWatchedRead, resetReadMarkers } from "../realtime/readMarker";
import { closeSocket, openSocket } from "../realtime/socket";
import { stopTyping } from "../realtime/typingEmitter";
import { useConnection } from "../stores/connection";
import { useConversations } from "../stores/conversations";
import { useFriends } from "../stores/friends";
import { useGroups } from "../stores/groups";
import { useMessages } from "../stores/messages";
import { usePresence } from "../stores/presence";
import { useReceipts } from "../stores/receipts";
import { useServer } from "../stores/server";
import { useSession } from "../stores/session";
import { useTyping } from "../stores/typing";
import { useUsers } from "../stores/users";
import { useView } from "../stores/view";

const TYPING_SWEEP_MS = 1_000;

function resetAll(): void {
  stopTyping();
  closeSocket();
  resetOutbox();
  resetReadMarkers();
  forgetAskedPresence();
  for (const store of [useConnection, useConversations, useMessages, useTyping, usePresence, useReceipts, useUsers, useFriends, useGroups]) {
    store.getState().reset();
  }
}

function followSession(): void {
  let openFor: string | null = null;
  const apply = () => {
    const { status, token } = useSession.getState();
    const wanted = status === "signedIn" ? token : null;
    if (wanted === openFor) return;
    if (openFor) resetAll();
    openFor = wanted;
    if (wanted) {
      useConnection.getState().setStatus("connecting");
      openSocket(() => useSession.getState().token, bindEvents);
    }
  };
  useSession.subscribe(apply);
  apply();
}

function followVisibility(): void {
  document.addEventListener("visibilitychange", () => {
    const visible = document.visibilityState !== "hidden";
    useView.getState().setVisible(visible);
    if (visible) void markWatchedRead(useView.getState().conversationId);
    else stopTyping();
  });
}

/** Starts the page-wide machinery and restores the saved session. */
export function bootstrap(): void {
  followSession();
  followVisibility();
  trackPresence();
  setInterval(() => useTyping.getState().expire(), TYPING_SWEEP_MS);
  void useServer.getState().load();
  void useSession.getState().restore();
}
