import { describe, expect, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };

// npm scripts run the Node.js the project brings (the registry's `node` package, first on their
// PATH), not whatever the machine has: a silent fall-back to an end-of-life Node must not pass.
describe("runtime", () => {
  it("runs on Node.js 24 LTS, the version package.json pins", () => {
    expect(Number(process.versions.node.split(".")[0])).toBe(24);
    expect(process.versions.node).toBe(pkg.dependencies.node);
  });
});
