// Runs a user-triggered async action, tracking "busy" and the error to show. The error keeps the
// server's wording and names the field at fault when the server said which.
import { useCallback, useState } from "react";
import { ApiError, describeError } from "../api/http";

export interface ActionError {
  message: string;
  field?: string;
}

export function useAction<A extends unknown[]>(action: (...args: A) => Promise<unknown>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ActionError | null>(null);
  const run = useCallback(
    async (...args: A): Promise<boolean> => {
      setBusy(true);
      setError(null);
      try {
        await action(...args);
        return true;
      } catch (e) {
        setError({ message: describeError(e), field: e instanceof ApiError ? e.field : undefined });
        return false;
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error, clearError: () => setError(null) };
}

/** The error for one field, when the server blamed that field. */
export function fieldError(error: ActionError | null, field: string): string | null {
  return error?.field === field ? error.message : null;
}
