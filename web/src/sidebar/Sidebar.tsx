// The list pane: who I am, where to go (people, new group), sign out, and the conversations.
import { navigate, paths } from "../app/route";
import { useSession } from "../stores/session";
import { Button } from "../ui/Button";
import { ConversationList } from "./ConversationList";

export function Sidebar() {
  const me = useSession((s) => s.me);
  const logout = useSession((s) => s.logout);
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <header className="flex items-center gap-2 border-b border-slate-200 px-3 py-2 dark:border-slate-800">
        <div className="min-w-0 flex-1">
          <h1 className="text-lg font-semibold">Chats</h1>
          <p className="truncate text-xs text-slate-500 dark:text-slate-400" data-testid="me-name">
            {me?.display_name || me?.username}
          </p>
        </div>
        <Button variant="ghost" onClick={() => navigate(paths.people)} data-testid="nav-people">
          People
        </Button>
        <Button variant="ghost" onClick={() => navigate(paths.newGroup)} data-testid="nav-new-group">
          New group
        </Button>
        <Button variant="ghost" onClick={() => {
            navigate(paths.home);
            logout();
          }} data-testid="logout-button">
          Log out
        </Button>
      </header>
      <ConversationList />
    </div>
  );
}
