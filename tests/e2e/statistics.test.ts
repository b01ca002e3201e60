import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seriousViolations } from "./axe-audit";
import { launch, newContext, recordErrors, signInAs, type Browser } from "./browser";

// The statistics pages in Chromium: charts drawn by the server (JavaScript off), named, with their
// data; nothing wider than a 360 px phone; no serious axe violation; printing hides the navigation.
const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

describe.skipIf(inject("e2eSkip"))("statistics pages", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("draw their charts without JavaScript, each an image with a title and its data table, and fit a phone", async () => {
    const { context, foreign } = await newContext(browser, baseUrl, { viewport: { width: 360, height: 740 }, javaScriptEnabled: false });
    await signInAs(context, "comms@demo.relais");
    const page = await context.newPage();
    const response = await page.goto("/statistics?period=year");
    expect(response?.status()).toBe(200);
    const charts = page.locator("svg[role=img]");
    expect(await charts.count()).toBeGreaterThanOrEqual(2);
    for (const chart of await charts.all()) {
      const title = await chart.locator("title").textContent();
      expect(title?.length).toBeGreaterThan(10);
      expect(await chart.getAttribute("viewBox")).toBe("0 0 640 240");
      expect(await page.getByRole("img", { name: title! }).count()).toBe(1);
      const box = await chart.boundingBox();
      expect(box!.width).toBeLessThanOrEqual(360);
      expect(box!.height).toBeGreaterThan(50);
    }
    expect(await page.locator("svg[role=img] g.bars rect").count()).toBeGreaterThan(0);
    expect(await page.locator("details.chart-data table").count()).toBe(await charts.count());
    // On a phone each figure of the departments' table is named before it (set once on the table).
    const before = await page.locator("table.labelled tbody tr").first().evaluate((row) =>
      [...row.querySelectorAll("td")].map((cell) => getComputedStyle(cell, "::before").content),
    );
    expect(before[0]).toContain("Contributions soumises");
    expect(before.at(-1)).toContain("Délai médian");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
    expect(foreign).toEqual([]);
    await context.close();
  });

  it("hydrate the kept markup of the dashboard without a mismatch, and render another period in the browser", async () => {
    const { context } = await newContext(browser, baseUrl);
    await signInAs(context, "comms@demo.relais");
    const page = await context.newPage();
    const errors = recordErrors(page);
    // Twice: the second answer is the kept markup (the first may have been kept by another test).
    for (let i = 0; i < 2; i++) {
      expect((await page.goto("/statistics?period=year"))?.status()).toBe(200);
      await page.waitForFunction(() => "__remixRouter" in window);
    }
    const covers = page.locator("p", { hasText: "comparé au" });
    const year = await covers.textContent();
    expect(await page.locator("table.labelled tbody tr").count()).toBeGreaterThan(0);
    // A client-side navigation: the browser renders the figures itself from the loader's data.
    await page.getByLabel("Période", { exact: true }).selectOption("month");
    await page.getByRole("button", { name: "Afficher" }).click();
    await page.waitForURL((url) => url.searchParams.get("period") === "month");
    await expect.poll(() => covers.textContent()).not.toBe(year);
    expect(await page.locator("table.statistics-totals caption").textContent()).toContain("organisation");
    expect(await page.locator("svg[role=img]").count()).toBeGreaterThanOrEqual(1);
    // Hydration mismatches and errors are reported on the console by React.
    expect(errors).toEqual([]);
    await context.close();
  });

  it("pass axe for comms, a manager and an agent's summary, and print the summary without the navigation", async () => {
    const lines: string[] = [];
    for (const [email, path] of [
      ["comms@demo.relais", "/statistics?period=year"],
      ["manager@demo.relais", "/statistics?period=year"],
      ["agent@demo.relais", "/my/summary?period=year"],
    ] as const) {
      const { context } = await newContext(browser, baseUrl);
      await signInAs(context, email);
      const page = await context.newPage();
      expect((await page.goto(path))?.status(), `${email} ${path}`).toBe(200);
      await page.waitForFunction(() => "__remixRouter" in window);
      for (const line of await seriousViolations(page)) lines.push(`${email} ${path} — ${line}`);
      if (path.startsWith("/my/summary")) {
        await page.emulateMedia({ media: "print" });
        expect(await page.getByRole("navigation", { name: "Navigation principale" }).isVisible()).toBe(false);
        expect(await page.getByRole("heading", { name: "Mes chiffres" }).isVisible()).toBe(true);
      }
      await context.close();
    }
    expect(lines, lines.join("\n")).toEqual([]);
  });
});
