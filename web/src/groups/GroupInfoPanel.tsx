// A group's settings: rename (owner, admin), members (add, remove below one's role), leave.
import { useEffect, useState, type FormEvent } from "react";
import { navigate, paths } from "../app/route";
import { describeError } from "../api/http";
import type { GroupRole } from "../api/types";
import { UserSearch } from "../people/UserSearch";
import { useConversations } from "../stores/conversations";
import { useGroups } from "../stores/groups";
import { useMessages } from "../stores/messages";
import { useSession } from "../stores/session";
import { Alert } from "../ui/Alert";
import { Button } from "../ui/Button";
import { PanelHeader } from "../ui/PanelHeader";
import { TextField } from "../ui/TextField";
import { useAction } from "../ui/useAction";
import { MemberList } from "./MemberList";

const rank: Record<GroupRole, number> = { owner: 3, admin: 2, member: 1 };

export function GroupInfoPanel({ conversationId }: { conversationId: string }) {
  const meId = useSession((s) => s.me?.id);
  const group = useGroups((s) => s.byConversation[conversationId]);
  const detail = useGroups((s) => (group ? s.details[group.id] : undefined));
  const [name, setName] = useState<string | null>(null);
  const myRole = detail?.members.find((m) => m.user_id === meId)?.role ?? "member";
  const manager = rank[myRole] >= rank.admin;

  const { run, busy, error } = useAction(async (task: () => Promise<unknown>) => task());

  const [loadError, setLoadError] = useState<string | null>(null);
  const groupId = group?.id;
  useEffect(() => {
    const loading = groupId === undefined ? useGroups.getState().load() : useGroups.getState().loadDetail(groupId);
    loading.then(
      () => setLoadError(null),
      (e: unknown) => setLoadError(describeError(e)),
    );
  }, [groupId]);

  if (!group) {
    return (
      <section className="flex flex-1 flex-col" aria-label="Group">
        <PanelHeader title="Group" back={paths.chat(conversationId)} />
        <p className="p-4 text-sm text-slate-500" role="status">
          Loading group…
        </p>
      </section>
    );
  }

  const rename = (e: FormEvent) => {
    e.preventDefault();
    if (name?.trim()) void run(() => useGroups.getState().rename(group.id, name.trim()).then(() => setName(null)));
  };
  const leave = () => {
    if (!window.confirm(`Leave ${group.name}?`)) return;
    void run(async () => {
      await useGroups.getState().leave(group.id);
      useConversations.getState().remove(conversationId);
      useMessages.getState().drop(conversationId);
      navigate(paths.home);
    });
  };
  const memberIds = new Set(detail?.members.map((m) => m.user_id));

  return (
    <section className="flex min-h-0 flex-1 flex-col" aria-label="Group info" data-testid="group-info-panel">
      <PanelHeader title={group.name} back={paths.chat(conversationId)} />
      <div className="flex min-h-0 flex-1 flex-col gap-5 overflow-y-auto p-4">
        {(error || loadError) && <Alert>{error?.message ?? loadError}</Alert>}
        {manager && (
          <form onSubmit={rename} className="flex items-end gap-2">
            <div className="flex-1">
              <TextField label="Group name" value={name ?? group.name} maxLength={100} onChange={(e) => setName(e.target.value)} data-testid="group-rename-input" />
            </div>
            <Button type="submit" disabled={busy || !name?.trim() || name.trim() === group.name} data-testid="group-rename-submit">
              Rename
            </Button>
          </form>
        )}
        {detail && (
          <MemberList
            members={detail.members}
            canRemove={(role, userId) => userId !== meId && rank[myRole] > rank[role] && manager}
            onRemove={(userId) => void run(() => useGroups.getState().removeMember(group.id, userId))}
          />
        )}
        {manager && (
          <UserSearch
            label="Add a member"
            actions={(u) => (
              <Button
                disabled={memberIds.has(u.id) || busy}
                onClick={() => void run(() => useGroups.getState().addMember(group.id, u.id))}
                data-testid="group-add-member"
              >
                {memberIds.has(u.id) ? "Member" : "Add"}
              </Button>
            )}
          />
        )}
        <div>
          <Button variant="danger" onClick={leave} disabled={busy} data-testid="group-leave">
            Leave group
          </Button>
        </div>
      </div>
    </section>
  );
}
