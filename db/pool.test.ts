import os from "node:os";
import { describe, expect, it } from "vitest";
import { poolSize } from "./pool";

describe("poolSize", () => {
  it("is twice the cores plus one, at least 4, unless DATABASE_POOL_MAX says otherwise", () => {
    expect(poolSize()).toBe(Math.max(4, 2 * os.availableParallelism() + 1));
    expect(poolSize(12)).toBe(12);
  });
});
