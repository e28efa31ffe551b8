import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { MessageText } from "./MessageText";

afterEach(cleanup);

describe("message text", () => {
  it("renders links that open safely in a new tab", () => {
    const { container } = render(<MessageText text="docs at https://example.org/x, thanks" />);
    const link = container.querySelector("a")!;
    expect(link.getAttribute("href")).toBe("https://example.org/x");
    expect(link.getAttribute("target")).toBe("_blank");
    expect(link.getAttribute("rel")).toContain("noopener");
    expect(container.textContent).toBe("docs at https://example.org/x, thanks");
  });

  it("shows markup as text, never as HTML", () => {
    const { container } = render(<MessageText text={'<img src=x onerror="alert(1)"><b>bold</b>'} />);
    expect(container.querySelector("img, b")).toBeNull();
    expect(container.textContent).toBe('<img src=x onerror="alert(1)"><b>bold</b>');
  });
});
