// The top level: the login/sign-up screens for visitors, the chat shell for signed-in users.
import { AuthScreen } from "../auth/AuthScreen";
import { Shell } from "../shell/Shell";
import { useSession } from "../stores/session";

export function App() {
  const status = useSession((s) => s.status);
  if (status === "restoring") {
    return (
      <div className="flex h-full items-center justify-center text-slate-500" role="status">
        Loading…
      </div>
    );
  }
  return status === "signedIn" ? <Shell /> : <AuthScreen />;
}
