import fs from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "./browser";

// axe-core's rules for WCAG 2.0, 2.1 and 2.2 A/AA, and its best practices.
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

type AxeResult = { violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] };

/**
 * Runs axe on the page as it is and returns its serious and critical violations, one line each:
 * rule, impact, what it checks, the elements. Our CSP lets only scripts with the page's nonce run,
 * so a <script> tag (page.addScriptTag) is refused; page.evaluate goes through the DevTools
 * protocol, which the CSP does not govern.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.map(String).join(" ")) }));
  }, TAGS);
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.targets.join(" | ")}`);
}
