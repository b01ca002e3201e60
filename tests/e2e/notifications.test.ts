import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launch, newContext, signInAs, type Browser, type Page } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

/** Camille Martin's (agent@demo.relais) contribution of the demo, approved for the whole organisation. */
const TITLE = "Lectures en plein air : retour en images";

/** The count in the bell's accessible name ("2 notifications non lues"), 0 without one ("Notifications"). */
async function unreadCount(page: Page): Promise<number> {
  const label = await page.locator("header a.bell").getAttribute("aria-label");
  const m = /(\d+)/.exec(label ?? "");
  return m ? Number(m[1]) : 0;
}

/** Signs `email` in, comments on the demo contribution and returns its id. */
async function comment(email: string, text: string): Promise<number> {
  const { context } = await newContext(browser, baseUrl);
  const page = await context.newPage();
  await signInAs(context, email);
  await page.goto(`/search?q=${encodeURIComponent("retour en images")}`);
  await page.getByRole("link", { name: TITLE, exact: true }).first().click();
  await page.waitForURL(/\/contributions\/\d+$/);
  const id = Number(/\/contributions\/(\d+)$/.exec(page.url())![1]);
  await page.getByLabel("Votre commentaire").fill(text);
  await page.getByRole("button", { name: "Commenter", exact: true }).click();
  await page.locator(".comment", { hasText: text }).waitFor();
  await context.close();
  return id;
}

describe.skipIf(inject("e2eSkip"))("notifications in a real browser", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("opening a notification leads to its subject and marks it read; 'Tout marquer comme lu' marks the others", async () => {
    const stamp = Date.now();
    // Two people comment on Camille's contribution: she has two new notifications.
    const id = await comment("agent.sports@demo.relais", `Bravo pour la soirée ! ${stamp}`);
    await comment("manager@demo.relais", `Belle réussite. ${stamp}`);

    const { context, foreign } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    await page.goto("/notifications");
    const fromYanis = page.locator(".card", { hasText: `Yanis Benali a commenté « ${TITLE} ».` }).first();
    const fromHugo = page.locator(".card", { hasText: `Hugo Lefèvre a commenté « ${TITLE} ».` }).first();
    await expect(fromYanis.getByText("Non lue").isVisible()).resolves.toBe(true);
    await expect(fromHugo.getByText("Non lue").isVisible()).resolves.toBe(true);
    const unreadBefore = await unreadCount(page);
    expect(unreadBefore).toBeGreaterThanOrEqual(2);

    // Opening one from the list leads to the contribution, and it is read from then on.
    await fromYanis.getByRole("link", { name: `Yanis Benali a commenté « ${TITLE} ».` }).click();
    await page.waitForURL(`**/contributions/${id}`);
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe(TITLE);
    expect(await unreadCount(page)).toBe(unreadBefore - 1);
    await page.goto("/notifications");
    await expect(fromYanis.getByText("Non lue").count()).resolves.toBe(0);
    await expect(fromHugo.getByText("Non lue").isVisible()).resolves.toBe(true);

    // "Tout marquer comme lu" reads the rest, and the button goes with them.
    await page.getByRole("button", { name: "Tout marquer comme lu" }).click();
    await expect.poll(() => page.locator("main").getByText("Non lue").count()).toBe(0);
    expect(await unreadCount(page)).toBe(0);
    await expect(page.getByRole("button", { name: "Tout marquer comme lu" }).count()).resolves.toBe(0);
    // Still read after a reload: stored, not only shown.
    await page.reload();
    await expect(page.locator("main").getByText("Non lue").count()).resolves.toBe(0);
    await expect(page.locator("header a.bell").getAttribute("aria-label")).resolves.toBe("Notifications");

    expect(foreign).toEqual([]);
    await context.close();
  });
});
