// The title bar of a full pane, with the back button phones need.
import type { ReactNode } from "react";
import { navigate, paths } from "../app/route";
import { Button } from "./Button";

export function PanelHeader({ title, back = paths.home, children }: { title: string; back?: string; children?: ReactNode }) {
  return (
    <header className="flex items-center gap-2 border-b border-slate-200 px-2 py-2 md:px-4 dark:border-slate-800">
      <Button variant="ghost" onClick={() => navigate(back)} aria-label="Back" data-testid="back-button">
        ←
      </Button>
      <h2 className="min-w-0 flex-1 truncate font-semibold">{title}</h2>
      {children}
    </header>
  );
}
