// One list of relationship rows (incoming, outgoing, friends, blocked) with its actions.
import type { Friendship } from "../api/types";
import { otherParty, type FriendAction } from "../stores/friends";
import { Button } from "../ui/Button";
import { useUserName } from "./useNames";

interface RowAction {
  label: string;
  action: FriendAction;
  testId: string;
  danger?: boolean;
}

interface Props {
  title: string;
  testId: string;
  rows: Friendship[];
  empty: string;
  actions: RowAction[];
  onAction: (action: FriendAction, userId: number) => void;
  onMessage?: (userId: number) => void;
}

function FriendRow({ userId, actions, onAction, onMessage }: Omit<Props, "title" | "testId" | "rows" | "empty"> & { userId: number }) {
  const name = useUserName(userId);
  return (
    <li className="flex flex-wrap items-center gap-2 border-b border-slate-100 py-2 dark:border-slate-800" data-testid="friend-row" data-user-id={userId}>
      <span className="min-w-0 flex-1 truncate font-medium">{name}</span>
      {onMessage && (
        <Button onClick={() => onMessage(userId)} data-testid="start-dm">
          Message
        </Button>
      )}
      {actions.map((a) => (
        <Button key={a.action} variant={a.danger ? "danger" : "secondary"} onClick={() => onAction(a.action, userId)} data-testid={a.testId}>
          {a.label}
        </Button>
      ))}
    </li>
  );
}

export function FriendSection({ title, testId, rows, empty, ...rest }: Props) {
  return (
    <section aria-label={title}>
      <h3 className="mb-1 text-sm font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{title}</h3>
      <ul data-testid={testId}>
        {rows.map((row) => (
          <FriendRow key={`${row.requester_id}-${row.addressee_id}`} userId={otherParty(row)} {...rest} />
        ))}
        {rows.length === 0 && <li className="py-1 text-sm text-slate-500 dark:text-slate-400">{empty}</li>}
      </ul>
    </section>
  );
}
