// The message input: Enter sends, Shift+Enter starts a new line (and an IME's Enter composes).
// Sending works offline too: the message waits as pending and goes out on reconnect.
import { useEffect, useState, type FormEvent, type KeyboardEvent } from "react";
import { sendMessage } from "../realtime/outbox";
import { stopTyping, userTyped } from "../realtime/typingEmitter";
import { useServer } from "../stores/server";
import { Button } from "../ui/Button";

const encoder = new TextEncoder();

export function Composer({ conversationId, disabled }: { conversationId: string; disabled?: boolean }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const maxBytes = useServer((s) => s.maxMessageBytes);

  useEffect(() => () => stopTyping(), [conversationId]);

  const submit = () => {
    const content = text.trim();
    if (!content) return;
    if (encoder.encode(content).length > maxBytes) {
      setError(`Messages can be at most ${Math.floor(maxBytes / 1024)} KiB.`);
      return;
    }
    stopTyping();
    sendMessage(conversationId, content);
    setText("");
    setError(null);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    submit();
  };

  return (
    <form onSubmit={onSubmit} className="border-t border-slate-200 p-2 md:p-3 dark:border-slate-800" data-testid="composer">
      {error && (
        <p role="alert" className="px-1 pb-1 text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      <div className="flex items-end gap-2">
        <label htmlFor="composer-input" className="sr-only">
          Message
        </label>
        <textarea
          id="composer-input"
          data-testid="composer-input"
          placeholder="Write a message…"
          value={text}
          disabled={disabled}
          rows={Math.min(6, Math.max(1, text.split("\n").length))}
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim()) userTyped(conversationId);
            else stopTyping();
          }}
          onKeyDown={onKeyDown}
          onBlur={() => stopTyping()}
          className="min-h-10 flex-1 resize-none rounded-lg border border-slate-300 bg-white px-3 py-2 text-base text-slate-900 placeholder:text-slate-400 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
        />
        <Button type="submit" variant="primary" className="h-10" disabled={disabled || !text.trim()} data-testid="send-button">
          Send
        </Button>
      </div>
    </form>
  );
}
