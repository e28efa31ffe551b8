// The signed-in layout: conversation list and the current pane side by side on wide screens, one
// at a time on a phone (the list at #/, everything else full-screen with a back button).
import { useEffect } from "react";
import { useRoute, type Route } from "../app/route";
import { ChatView } from "../chat/ChatView";
import { GroupInfoPanel } from "../groups/GroupInfoPanel";
import { NewGroupPanel } from "../groups/NewGroupPanel";
import { PeoplePanel } from "../people/PeoplePanel";
import { Sidebar } from "../sidebar/Sidebar";
import { useView } from "../stores/view";
import { ConnectionBanner } from "./ConnectionBanner";
import { useUnreadTitle } from "./useUnreadTitle";

function MainPane({ route }: { route: Route }) {
  switch (route.page) {
    case "chat":
      return <ChatView key={route.conversationId} conversationId={route.conversationId} />;
    case "group":
      return <GroupInfoPanel key={route.conversationId} conversationId={route.conversationId} />;
    case "people":
      return <PeoplePanel />;
    case "new-group":
      return <NewGroupPanel />;
    default:
      return (
        <div className="flex flex-1 items-center justify-center p-8 text-slate-500 dark:text-slate-400">
          Pick a conversation, or find people to talk to.
        </div>
      );
  }
}

export function Shell() {
  const route = useRoute();
  const home = route.page === "home";
  const viewing = route.page === "chat" ? route.conversationId : null;
  useEffect(() => useView.getState().open(viewing), [viewing]);
  useUnreadTitle();

  return (
    <div className="flex h-full flex-col">
      <ConnectionBanner />
      <div className="flex min-h-0 flex-1">
        <aside
          className={`${home ? "flex" : "hidden md:flex"} w-full flex-col border-r border-slate-200 md:w-80 lg:w-96 dark:border-slate-800`}
          aria-label="Conversations"
        >
          <Sidebar />
        </aside>
        <main className={`${home ? "hidden md:flex" : "flex"} min-w-0 flex-1 flex-col`}>
          <MainPane route={route} />
        </main>
      </div>
    </div>
  );
}
