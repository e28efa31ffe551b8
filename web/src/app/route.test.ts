import { describe, expect, it } from "vitest";
import { parseRoute, paths } from "./route";

describe("hash routes", () => {
  it("round-trips every page", () => {
    const id = "0b6f2a1e-1111-4c4c-9a9a-123456789abc";
    expect(parseRoute(paths.chat(id))).toEqual({ page: "chat", conversationId: id });
    expect(parseRoute(paths.group(id))).toEqual({ page: "group", conversationId: id });
    expect(parseRoute(paths.people)).toEqual({ page: "people" });
    expect(parseRoute(paths.newGroup)).toEqual({ page: "new-group" });
    expect(parseRoute(paths.register)).toEqual({ page: "register" });
    expect(parseRoute(paths.home)).toEqual({ page: "home" });
  });

  it("sends anything unknown home", () => {
    expect(parseRoute("")).toEqual({ page: "home" });
    expect(parseRoute("#/nope/x")).toEqual({ page: "home" });
  });
});
