// A group's members with their roles, and a remove button where the caller outranks them.
import type { GroupMember, GroupRole } from "../api/types";
import { useUserName } from "../people/useNames";
import { Button } from "../ui/Button";

function MemberRow({ member, removable, onRemove }: { member: GroupMember; removable: boolean; onRemove: () => void }) {
  const name = useUserName(member.user_id);
  return (
    <li className="flex items-center gap-2 border-b border-slate-100 py-2 dark:border-slate-800" data-testid="group-member" data-user-id={member.user_id}>
      <span className="min-w-0 flex-1 truncate">{name}</span>
      <span className="text-xs text-slate-500 dark:text-slate-400">{member.role}</span>
      {removable && (
        <Button variant="danger" onClick={onRemove} aria-label={`Remove ${name}`} data-testid="group-remove-member">
          Remove
        </Button>
      )}
    </li>
  );
}

export function MemberList({
  members,
  canRemove,
  onRemove,
}: {
  members: GroupMember[];
  canRemove: (role: GroupRole, userId: number) => boolean;
  onRemove: (userId: number) => void;
}) {
  return (
    <section aria-label="Members">
      <h3 className="mb-1 text-sm font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">
        Members ({members.length})
      </h3>
      <ul data-testid="group-members">
        {members.map((m) => (
          <MemberRow key={m.user_id} member={m} removable={canRemove(m.role, m.user_id)} onRemove={() => onRemove(m.user_id)} />
        ))}
      </ul>
    </section>
  );
}
