// People: find users to message or befriend, and answer friend requests.
import { useEffect, useState } from "react";
import { navigate, paths } from "../app/route";
import { describeError } from "../api/http";
import type { User } from "../api/types";
import { useConversations } from "../stores/conversations";
import { useFriends, type FriendAction } from "../stores/friends";
import { Alert } from "../ui/Alert";
import { Button } from "../ui/Button";
import { PanelHeader } from "../ui/PanelHeader";
import { FriendSection } from "./FriendSection";
import { UserSearch } from "./UserSearch";

export function PeoplePanel() {
  const lists = useFriends((s) => s.lists);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    useFriends.getState().load().catch((e) => setError(describeError(e)));
  }, []);

  const act = async (action: FriendAction, userId: number, done?: string) => {
    setError(null);
    setNotice(null);
    try {
      await useFriends.getState().act(action, userId);
      if (done) setNotice(done);
    } catch (e) {
      setError(describeError(e));
    }
  };

  const message = async (userId: number) => {
    setError(null);
    try {
      navigate(paths.chat(await useConversations.getState().openDirectWith(userId)));
    } catch (e) {
      setError(describeError(e));
    }
  };

  const searchActions = (u: User) => (
    <>
      <Button onClick={() => void message(u.id)} data-testid="start-dm">
        Message
      </Button>
      <Button onClick={() => void act("request", u.id, "Friend request sent.")} data-testid="send-friend-request">
        Add friend
      </Button>
    </>
  );

  return (
    <section className="flex min-h-0 flex-1 flex-col" aria-label="People" data-testid="people-panel">
      <PanelHeader title="People" />
      <div className="flex min-h-0 flex-1 flex-col gap-5 overflow-y-auto p-4">
        {error && <Alert>{error}</Alert>}
        {notice && (
          <Alert tone="info" testId="people-notice">
            {notice}
          </Alert>
        )}
        <UserSearch label="Find people" actions={searchActions} />
        <FriendSection
          title="Friend requests"
          testId="friend-requests-incoming"
          rows={lists.incoming}
          empty="No requests waiting."
          actions={[
            { label: "Accept", action: "accept", testId: "accept-request" },
            { label: "Decline", action: "decline", testId: "decline-request" },
            { label: "Block", action: "block", testId: "block-user", danger: true },
          ]}
          onAction={act}
        />
        <FriendSection
          title="Sent requests"
          testId="friend-requests-outgoing"
          rows={lists.outgoing}
          empty="No requests sent."
          actions={[{ label: "Withdraw", action: "withdraw", testId: "withdraw-request" }]}
          onAction={act}
        />
        <FriendSection
          title="Friends"
          testId="friends-list"
          rows={lists.friends}
          empty="No friends yet."
          onMessage={(id) => void message(id)}
          actions={[
            { label: "Unfriend", action: "unfriend", testId: "unfriend" },
            { label: "Block", action: "block", testId: "block-user", danger: true },
          ]}
          onAction={act}
        />
        <FriendSection
          title="Blocked"
          testId="blocked-list"
          rows={lists.blocked}
          empty="No one blocked."
          actions={[{ label: "Unblock", action: "unblock", testId: "unblock-user" }]}
          onAction={act}
        />
      </div>
    </section>
  );
}
