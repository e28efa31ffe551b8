// Inline editing of one's own message: Enter saves, Shift+Enter adds a line, Escape cancels.
import { useState } from "react";
import { Button } from "../ui/Button";

export function MessageEditor({
  initial,
  onSave,
  onCancel,
  busy,
}: {
  initial: string;
  onSave: (content: string) => void;
  onCancel: () => void;
  busy: boolean;
}) {
  const [text, setText] = useState(initial);
  const save = () => {
    const trimmed = text.trim();
    if (!trimmed) return;
    if (trimmed === initial) onCancel();
    else onSave(trimmed);
  };
  return (
    <div className="flex w-full max-w-md flex-col gap-1">
      <label className="sr-only" htmlFor="edit-message">
        Edit message
      </label>
      <textarea
        id="edit-message"
        autoFocus
        data-testid="edit-input"
        value={text}
        rows={Math.min(6, text.split("\n").length)}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") onCancel();
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            save();
          }
        }}
        className="w-full resize-none rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
      />
      <div className="flex justify-end gap-1">
        <Button variant="ghost" onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button variant="primary" onClick={save} disabled={busy} data-testid="edit-save">
          Save
        </Button>
      </div>
    </div>
  );
}
