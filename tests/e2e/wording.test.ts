import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startEmbeddedPostgres } from "../../db/embedded";
import { launch, newContext, signInAs, writeDraft, type Browser } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

/** A connection to the running server's own database (the embedded one of the e2e data folder). */
async function serverDatabase() {
  const server = await startEmbeddedPostgres({ dataDir: path.join(inject("e2eDataDir"), "pg"), attach: true });
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  return client;
}

describe.skipIf(inject("e2eSkip"))("French wording of counts and durations", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("says how long a contribution has waited: less than an hour, 1 heure, 2 heures, days", async () => {
    const stamp = Date.now();
    const agent = await newContext(browser, baseUrl);
    const page = await agent.context.newPage();
    await signInAs(page.context(), "agent@demo.relais");
    const waited = { "10 minutes": "moins d'une heure", "65 minutes": "1 heure", "125 minutes": "2 heures", "49 hours": "2 jours" } as const;
    const titles = new Map<string, string>();
    for (const [ago, expected] of Object.entries(waited)) {
      const title = `En attente ${ago} ${stamp}`;
      const id = await writeDraft(page, { title });
      await page.goto(`/contributions/${id}`);
      await page.getByRole("button", { name: "Envoyer en relecture" }).click();
      await page.waitForURL(`**/contributions/${id}?done=submitted`);
      titles.set(title, expected);
      // The clock cannot be moved: the submission is moved back instead.
      const client = await serverDatabase();
      try {
        await client.query(`update contribution set submitted_at = now() - $2::interval where id = $1`, [id, ago]);
      } finally {
        await client.end();
      }
    }
    await agent.context.close();

    const comms = await newContext(browser, baseUrl);
    const inbox = await comms.context.newPage();
    await signInAs(inbox.context(), "comms@demo.relais");
    await inbox.goto("/review");
    for (const [title, expected] of titles) {
      const card = inbox.locator("li.card", { has: inbox.getByRole("link", { name: title, exact: true }) });
      await expect(card.locator("strong").innerText(), title).resolves.toBe(`En attente depuis ${expected}`);
    }
    await comms.context.close();
  });
});
