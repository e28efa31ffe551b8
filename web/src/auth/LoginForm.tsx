import { useState, type FormEvent } from "react";
import { paths } from "../app/route";
import { useSession } from "../stores/session";
import { Alert } from "../ui/Alert";
import { Button } from "../ui/Button";
import { TextField } from "../ui/TextField";
import { useAction } from "../ui/useAction";

export function LoginForm() {
  const login = useSession((s) => s.login);
  const notice = useSession((s) => s.notice);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const { run, busy, error } = useAction(login);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(name.trim(), password);
  };

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" data-testid="login-form" aria-labelledby="login-title">
      <h2 id="login-title" className="text-lg text-slate-600 dark:text-slate-300">
        Log in
      </h2>
      {notice && !error && (
        <Alert tone="info" testId="session-notice">
          {notice}
        </Alert>
      )}
      {error && <Alert>{error.message}</Alert>}
      <TextField
        label="Username or e-mail"
        name="login"
        autoComplete="username"
        required
        value={name}
        onChange={(e) => setName(e.target.value)}
        data-testid="login-username"
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        data-testid="login-password"
      />
      <Button type="submit" variant="primary" disabled={busy} data-testid="login-submit">
        {busy ? "Logging in…" : "Log in"}
      </Button>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        No account yet?{" "}
        <a href={paths.register} className="font-medium text-indigo-600 underline dark:text-indigo-400" data-testid="go-register">
          Create one
        </a>
      </p>
    </form>
  );
}
