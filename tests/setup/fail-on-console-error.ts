import { afterAll, afterEach } from "vitest";
import { recordConsoleError, takeConsoleErrorProblems } from "./console-errors";

// Still printed, so the failure comes with its context; only the ones a test expects are kept quiet.
const original = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (!recordConsoleError(args)) original(...args);
};

function check() {
  const problems = takeConsoleErrorProblems();
  if (problems.length) throw new Error(problems.join("\n\n"));
}

// Registered before the test file's own hooks, so it runs after them (vitest runs after-hooks as a stack).
afterEach(check);
// What beforeAll/afterAll hooks print.
afterAll(check);
