// An error (or notice) announced to screen readers as it appears.
import type { ReactNode } from "react";

export function Alert({ children, tone = "error", testId = "form-error" }: { children: ReactNode; tone?: "error" | "info"; testId?: string }) {
  const look =
    tone === "error"
      ? "border-red-300 bg-red-50 text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
      : "border-sky-300 bg-sky-50 text-sky-800 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-200";
  return (
    <div role={tone === "error" ? "alert" : "status"} data-testid={testId} className={`rounded-md border px-3 py-2 text-sm ${look}`}>
      {children}
    </div>
  );
}
