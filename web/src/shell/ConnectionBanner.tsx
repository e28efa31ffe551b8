// Shown while the real-time connection is down: sends are queued and go out on reconnect.
import { useConnection } from "../stores/connection";

export function ConnectionBanner() {
  const status = useConnection((s) => s.status);
  const everOnline = useConnection((s) => s.everOnline);
  if (status === "online" || status === "idle") return null;
  const text = everOnline
    ? "You are offline. Reconnecting… Messages you send will go out when the connection is back."
    : "Connecting…";
  return (
    <div
      role="status"
      data-testid="connection-banner"
      data-state={status}
      className="bg-amber-100 px-4 py-1.5 text-center text-sm text-amber-900 dark:bg-amber-900 dark:text-amber-100"
    >
      {text}
    </div>
  );
}
