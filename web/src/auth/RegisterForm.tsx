import { useState, type FormEvent } from "react";
import { paths } from "../app/route";
import { useSession } from "../stores/session";
import { Alert } from "../ui/Alert";
import { Button } from "../ui/Button";
import { TextField } from "../ui/TextField";
import { fieldError, useAction } from "../ui/useAction";

// Errors the server pins on these fields are shown under the field instead of above the form.
const shownByField = new Set(["username", "email", "display_name", "password"]);

export function RegisterForm() {
  const register = useSession((s) => s.register);
  const [form, setForm] = useState({ username: "", email: "", password: "", display_name: "" });
  const { run, busy, error } = useAction(register);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const displayName = form.display_name.trim();
    void run({
      username: form.username.trim(),
      email: form.email.trim(),
      password: form.password,
      ...(displayName ? { display_name: displayName } : {}),
    }).then((registered) => {
      // Signed in now: leave #/register, which on a phone would keep the list and navigation hidden.
      if (registered) window.location.hash = paths.home;
    });
  };

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" data-testid="register-form" aria-labelledby="register-title">
      <h2 id="register-title" className="text-lg text-slate-600 dark:text-slate-300">
        Create an account
      </h2>
      {error && !shownByField.has(error.field ?? "") && <Alert>{error.message}</Alert>}
      <TextField
        label="Username"
        name="username"
        autoComplete="username"
        required
        minLength={3}
        maxLength={32}
        pattern="[A-Za-z0-9_.\-]+"
        title="3–32 letters, digits, _ . or -"
        value={form.username}
        onChange={set("username")}
        error={fieldError(error, "username")}
        data-testid="register-username"
      />
      <TextField
        label="E-mail"
        name="email"
        type="email"
        autoComplete="email"
        required
        value={form.email}
        onChange={set("email")}
        error={fieldError(error, "email")}
        data-testid="register-email"
      />
      <TextField
        label="Display name (optional)"
        name="display_name"
        autoComplete="name"
        value={form.display_name}
        onChange={set("display_name")}
        error={fieldError(error, "display_name")}
        data-testid="register-display-name"
      />
      <TextField
        label="Password (at least 8 characters)"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        value={form.password}
        onChange={set("password")}
        error={fieldError(error, "password")}
        data-testid="register-password"
      />
      <Button type="submit" variant="primary" disabled={busy} data-testid="register-submit">
        {busy ? "Creating…" : "Create account"}
      </Button>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Already registered?{" "}
        <a href={paths.login} className="font-medium text-indigo-600 underline dark:text-indigo-400" data-testid="go-login">
          Log in
        </a>
      </p>
    </form>
  );
}
