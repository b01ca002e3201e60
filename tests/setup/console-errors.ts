import { format } from "node:util";

/**
 * An unexpected console.error fails the test that printed it (tests/setup/fail-on-console-error.ts):
 * a logged error is a bug the test did not look at, or an outcome it should assert.
 * A test that provokes one on purpose says so with expectConsoleError(/pattern/); the pattern must
 * then be printed at least once during that test.
 */
type State = { expected: { pattern: RegExp; seen: number }[]; unexpected: string[] };

// On globalThis so the setup file and the test file share it even if each gets its own copy of this module.
const key = Symbol.for("relais.consoleErrors");
const store = globalThis as unknown as Record<symbol, State | undefined>;
export const consoleErrors: State = (store[key] ??= { expected: [], unexpected: [] });

/** Allows console.error messages matching `pattern` for the rest of the current test (and requires one). */
export function expectConsoleError(pattern: RegExp) {
  consoleErrors.expected.push({ pattern, seen: 0 });
}

/** Records a console.error call; returns true when a test expected it (then it is not printed). */
export function recordConsoleError(args: unknown[]): boolean {
  const message = format(...args);
  const match = consoleErrors.expected.find((e) => e.pattern.test(message));
  if (match) {
    match.seen++;
    return true;
  }
  consoleErrors.unexpected.push(message);
  return false;
}

/** Empties the record and returns what went wrong since the last call (empty when nothing did). */
export function takeConsoleErrorProblems(): string[] {
  const problems = [
    ...consoleErrors.unexpected.map((m) => `unexpected console.error (expect it with expectConsoleError(/…/) if the test provokes it):\n${m}`),
    ...consoleErrors.expected.filter((e) => e.seen === 0).map((e) => `expected a console.error matching ${e.pattern}, none was printed`),
  ];
  consoleErrors.unexpected = [];
  consoleErrors.expected = [];
  return problems;
}
