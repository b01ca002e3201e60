import { describe, expect, it } from "vitest";
import { expectConsoleError, takeConsoleErrorProblems } from "../setup/console-errors";

// The guard itself (tests/setup/fail-on-console-error.ts): what it would fail a test with.
describe("console.error in tests", () => {
  it("reports an unexpected console.error with its message", () => {
    console.error("la base a disparu", { code: 42 });
    const problems = takeConsoleErrorProblems();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("unexpected console.error");
    expect(problems[0]).toContain("la base a disparu { code: 42 }");
  });

  it("lets a test expect one, and then requires it", () => {
    expectConsoleError(/disparu/);
    console.error("la base a disparu");
    expect(takeConsoleErrorProblems()).toEqual([]);

    expectConsoleError(/jamais/);
    expect(takeConsoleErrorProblems()).toEqual(["expected a console.error matching /jamais/, none was printed"]);
  });

  it("clears what a test expected once it ends", () => {
    expectConsoleError(/disparu/);
    console.error("la base a disparu");
    takeConsoleErrorProblems();
    console.error("la base a disparu");
    expect(takeConsoleErrorProblems()[0]).toContain("unexpected console.error");
  });
});
