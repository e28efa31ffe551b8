// What the user is looking at right now. Socket handlers read it to decide whether a new message is
// unread (not viewing) or should be marked read at once (viewing, tab visible, scrolled to bottom).
import { create } from "zustand";

interface ViewState {
  /** The conversation open in the chat pane, if any. */
  conversationId: string | null;
  /** Whether the message list is scrolled to its newest message. */
  atBottom: boolean;
  /** Whether the tab is visible. */
  visible: boolean;
  open: (conversationId: string | null) => void;
  setAtBottom: (atBottom: boolean) => void;
  setVisible: (visible: boolean) => void;
}

export const useView = create<ViewState>()((set) => ({
  conversationId: null,
  atBottom: true,
  visible: typeof document === "undefined" || document.visibilityState !== "hidden",
  open: (conversationId) => set({ conversationId, atBottom: true }),
  setAtBottom: (atBottom) => set({ atBottom }),
  setVisible: (visible) => set({ visible }),
}));

/** True when a new message in this conversation is being seen as it arrives. */
export function isWatching(conversationId: string): boolean {
  const view = useView.getState();
  return view.conversationId === conversationId && view.visible && view.atBottom;
}
