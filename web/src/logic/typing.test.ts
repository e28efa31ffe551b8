import { describe, expect, it } from "vitest";
import { TYPING_SHOWN_MS, applyTyping, expireTyping, typingLabel } from "./typing";

describe("typing indicators", () => {
  it("shows a start until a stop", () => {
    const on = applyTyping({}, 2, true, 1000);
    expect(Object.keys(on)).toEqual(["2"]);
    expect(applyTyping(on, 2, false, 1500)).toEqual({});
  });

  it("expires a start that is neither renewed nor stopped", () => {
    const on = applyTyping({}, 2, true, 1000);
    expect(expireTyping(on, 1000 + TYPING_SHOWN_MS - 1)).toBe(on);
    expect(expireTyping(on, 1000 + TYPING_SHOWN_MS)).toEqual({});
  });

  it("lasts as long as the server says", () => {
    const on = applyTyping({}, 2, true, 1000, 300);
    expect(expireTyping(on, 1299)).toBe(on);
    expect(expireTyping(on, 1300)).toEqual({});
  });

  it("a renewal pushes the expiry back", () => {
    let users = applyTyping({}, 2, true, 0);
    users = applyTyping(users, 2, true, 4000);
    expect(expireTyping(users, TYPING_SHOWN_MS + 1)).toEqual(users);
  });

  it("names who is typing", () => {
    expect(typingLabel([])).toBe("");
    expect(typingLabel(["Ann"])).toBe("Ann is typing…");
    expect(typingLabel(["Ann", "Ben"])).toBe("Ann and Ben are typing…");
    expect(typingLabel(["A", "B", "C"])).toBe("3 people are typing…");
  });
});
