// The real-time connection's state, for the banner and for deciding when to resync.
import { create } from "zustand";

export type ConnectionStatus = "idle" | "connecting" | "online" | "offline";

interface ConnectionState {
  status: ConnectionStatus;
  /** True once a connection succeeded in this session: later drops are reconnects, not first tries. */
  everOnline: boolean;
  setStatus: (status: ConnectionStatus) => void;
  reset: () => void;
}

export const useConnection = create<ConnectionState>()((set) => ({
  status: "idle",
  everOnline: false,
  setStatus: (status) => set((s) => ({ status, everOnline: s.everOnline || status === "online" })),
  reset: () => set({ status: "idle", everOnline: false }),
}));
