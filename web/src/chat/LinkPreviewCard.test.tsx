import { cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LinkPreview } from "../api/preview";
import { CARD_HEIGHT, LinkPreviewCard } from "./LinkPreviewCard";

const answers = new Map<string, LinkPreview | Error>();
vi.mock("../api/preview", () => ({
  fetchPreview: (url: string) => {
    const answer = answers.get(url);
    return answer instanceof Error || !answer ? Promise.reject(answer ?? new Error("no")) : Promise.resolve(answer);
  },
  dismissPreview: () => Promise.reject(new Error("not in this test")),
}));

afterEach(() => {
  cleanup();
  answers.clear();
});

const preview = (url: string): LinkPreview => ({
  url,
  final_url: url,
  title: "A title",
  description: "Some words",
  site_name: "Site",
  image: { url: "/api/preview/image?url=x&sig=y", width: 10, height: 10 },
  fetched_at: "2026-01-10T13:00:00Z",
});

describe("a link preview card", () => {
  it("has the same height loading, loaded and failed, so the list never shifts", async () => {
    answers.set("https://a.example/", preview("https://a.example/"));
    render(<LinkPreviewCard url="https://a.example/" dismissible={null} />);
    const card = screen.getByTestId("link-preview");
    expect(card.dataset.status).toBe("loading");
    expect(card.style.height).toBe(`${CARD_HEIGHT}px`);
    await waitFor(() => expect(card.dataset.status).toBe("ready"));
    expect(card.style.height).toBe(`${CARD_HEIGHT}px`);
    expect(screen.getByTestId("link-preview-title").textContent).toBe("A title");
    expect(screen.getByTestId("link-preview-image").getAttribute("src")).toMatch(/^\/api\/preview\/image\?/);
    cleanup();

    render(<LinkPreviewCard url="https://broken.example/" dismissible={null} />);
    const failed = screen.getByTestId("link-preview");
    await waitFor(() => expect(failed.dataset.status).toBe("failed"));
    expect(failed.style.height).toBe(`${CARD_HEIGHT}px`);
  });

  it("offers dismissal only on the caller's own message", async () => {
    answers.set("https://b.example/", preview("https://b.example/"));
    render(<LinkPreviewCard url="https://b.example/" dismissible={null} />);
    expect(screen.queryByTestId("dismiss-preview")).toBeNull();
    cleanup();
    render(<LinkPreviewCard url="https://b.example/" dismissible={{ conversationId: "c", messageId: "m" }} />);
    expect(screen.getByTestId("dismiss-preview").tagName).toBe("BUTTON");
  });
});
