// Puts the stores in the signed-in state tests start from.
import { useConversations } from "../stores/conversations";
import { useMessages } from "../stores/messages";
import { useSession } from "../stores/session";
import { useView } from "../stores/view";
import { ME, conversation } from "./fixtures";

export function signedIn(): void {
  useSession.setState({
    status: "signedIn",
    token: "token",
    me: {
      id: ME,
      username: "me",
      display_name: null,
      profile_picture_url: null,
      status: null,
      last_seen: null,
      created_at: "2026-01-01T00:00:00Z",
      email: "me@example.org",
      phone_number: null,
      updated_at: "2026-01-01T00:00:00Z",
    },
  });
  useMessages.getState().reset();
  useConversations.getState().reset();
  useConversations.getState().upsert(conversation());
  useView.setState({ conversationId: null, atBottom: true, visible: true });
}
