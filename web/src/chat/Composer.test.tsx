import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Composer } from "./Composer";

const sent: Array<[string, string]> = [];
vi.mock("../realtime/outbox", () => ({
  sendMessage: (id: string, content: string) => {
    sent.push([id, content]);
    return "cid";
  },
}));
vi.mock("../realtime/typingEmitter", () => ({ userTyped: () => {}, stopTyping: () => {} }));

afterEach(() => {
  cleanup();
  sent.length = 0;
});

describe("the composer", () => {
  it("sends on Enter and clears, adds a line on Shift+Enter", () => {
    render(<Composer conversationId="c1" />);
    const input = screen.getByTestId("composer-input") as HTMLTextAreaElement;
    fireEvent.change(input, { target: { value: "line one" } });
    fireEvent.keyDown(input, { key: "Enter", shiftKey: true });
    expect(sent).toEqual([]);
    fireEvent.change(input, { target: { value: "line one\nline two" } });
    fireEvent.keyDown(input, { key: "Enter" });
    expect(sent).toEqual([["c1", "line one\nline two"]]);
    expect(input.value).toBe("");
  });

  it("has a labelled input and a send button that is a button", () => {
    render(<Composer conversationId="c1" />);
    expect(screen.getByLabelText("Message")).toBe(screen.getByTestId("composer-input"));
    expect(screen.getByTestId("send-button").tagName).toBe("BUTTON");
  });

  it("does not send blank messages", () => {
    render(<Composer conversationId="c1" />);
    const input = screen.getByTestId("composer-input");
    fireEvent.change(input, { target: { value: "  \n " } });
    fireEvent.keyDown(input, { key: "Enter" });
    expect(sent).toEqual([]);
  });
});
