// Creating a group: a name and any number of people picked by search.
import { useState, type FormEvent } from "react";
import { navigate, paths } from "../app/route";
import type { User } from "../api/types";
import { UserSearch } from "../people/UserSearch";
import { useConversations } from "../stores/conversations";
import { useGroups } from "../stores/groups";
import { nameOf } from "../stores/users";
import { Alert } from "../ui/Alert";
import { Button } from "../ui/Button";
import { PanelHeader } from "../ui/PanelHeader";
import { TextField } from "../ui/TextField";
import { fieldError, useAction } from "../ui/useAction";

export function NewGroupPanel() {
  const [name, setName] = useState("");
  const [members, setMembers] = useState<User[]>([]);
  const { run, busy, error } = useAction(async () => {
    const group = await useGroups.getState().create(name.trim(), members.map((m) => m.id));
    await useConversations.getState().refresh(group.conversation_id);
    navigate(paths.chat(group.conversation_id));
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run();
  };
  const picked = (u: User) => members.some((m) => m.id === u.id);

  return (
    <section className="flex min-h-0 flex-1 flex-col" aria-label="New group" data-testid="new-group-panel">
      <PanelHeader title="New group" />
      <form onSubmit={submit} className="flex min-h-0 flex-1 flex-col gap-4 overflow-y-auto p-4">
        {error && error.field !== "name" && <Alert>{error.message}</Alert>}
        <TextField
          label="Group name"
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fieldError(error, "name")}
          data-testid="group-name-input"
        />
        <div>
          <h3 className="mb-1 text-sm font-medium">Members ({members.length})</h3>
          <ul className="flex flex-wrap gap-2" data-testid="group-picked-members">
            {members.map((m) => (
              <li key={m.id}>
                <button
                  type="button"
                  className="rounded-full bg-indigo-100 px-3 py-1 text-sm text-indigo-800 dark:bg-indigo-900 dark:text-indigo-100"
                  onClick={() => setMembers((list) => list.filter((x) => x.id !== m.id))}
                  aria-label={`Remove ${nameOf(m, m.id)}`}
                >
                  {nameOf(m, m.id)} ×
                </button>
              </li>
            ))}
          </ul>
        </div>
        <UserSearch
          label="Add people"
          actions={(u) => (
            <Button disabled={picked(u)} onClick={() => setMembers((list) => [...list, u])} data-testid="group-pick-member">
              {picked(u) ? "Added" : "Add"}
            </Button>
          )}
        />
        <Button type="submit" variant="primary" disabled={busy || !name.trim()} data-testid="group-create-submit">
          {busy ? "Creating…" : "Create group"}
        </Button>
      </form>
    </section>
  );
}
