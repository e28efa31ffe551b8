// Sign-in and sign-up for visitors; #/register shows the sign-up form.
import { useRoute } from "../app/route";
import { LoginForm } from "./LoginForm";
import { RegisterForm } from "./RegisterForm";

export function AuthScreen() {
  const route = useRoute();
  return (
    <main className="flex min-h-full items-center justify-center bg-slate-50 p-4 dark:bg-slate-950">
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <h1 className="mb-1 text-2xl font-semibold">OmegaChat</h1>
        {route.page === "register" ? <RegisterForm /> : <LoginForm />}
      </div>
    </main>
  );
}
