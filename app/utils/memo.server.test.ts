import { describe, expect, it, vi } from "vitest";
import { memoize } from "./memo.server";

describe("memoize", () => {
  it("loads once per key within the time given, again after it or after clear()", async () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    try {
      let loads = 0;
      const get = memoize(1000, async (n: number) => `${n}:${++loads}`);
      expect(await Promise.all([get("a", 1), get("a", 1), get("b", 2)])).toEqual(["1:1", "1:1", "2:2"]);
      vi.advanceTimersByTime(999);
      expect(await get("a", 1)).toBe("1:1");
      vi.advanceTimersByTime(1);
      expect(await get("a", 1)).toBe("1:3");
      get.clear();
      expect(await get("b", 2)).toBe("2:4");
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not remember a failed load", async () => {
    let calls = 0;
    const get = memoize(60_000, async () => {
      if (++calls === 1) throw new Error("base indisponible");
      return "ok";
    });
    await expect(get("k")).rejects.toThrow("base indisponible");
    expect(await get("k")).toBe("ok");
    expect(calls).toBe(2);
  });
});
