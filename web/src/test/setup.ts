// Each test starts with no saved session.
import { afterEach } from "vitest";

afterEach(() => {
  localStorage.clear();
});
