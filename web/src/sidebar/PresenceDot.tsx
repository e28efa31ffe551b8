// A small online/offline dot on a direct conversation's avatar.
import { usePresence } from "../stores/presence";

export function PresenceDot({ userId }: { userId: number }) {
  const online = usePresence((s) => s.byUser[userId]?.online ?? false);
  return (
    <span
      data-testid="presence-dot"
      data-online={online}
      role="img"
      aria-label={online ? "online" : "offline"}
      className={`absolute -bottom-0.5 -right-0.5 h-3 w-3 rounded-full border-2 border-white dark:border-slate-950 ${online ? "bg-emerald-500" : "bg-slate-400"}`}
    />
  );
}
