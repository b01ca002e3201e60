import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seriousViolations } from "./axe-audit";
import { DEMO_PASSWORD, editorReady, launch, newContext, signInAs, writeDraft, type Browser } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

describe.skipIf(inject("e2eSkip"))("two reviewers decide at the same time", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows the second one the decision that won, the fresh state, and keeps the comment they typed", async () => {
    const stamp = Date.now();
    const second = `relecture-${stamp}@demo.relais`;
    // A second member of the communication team, created with the CLI against the server's database.
    await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "scripts/relais.ts", "user:create", "--email", second, "--name", "Noé Second", "--role", "comms", "--department", "Communication", "--password", DEMO_PASSWORD],
      { env: { ...process.env, DATA_DIR: inject("e2eDataDir") } },
    );

    const author = await newContext(browser, baseUrl);
    const agent = await author.context.newPage();
    await signInAs(agent.context(), "agent@demo.relais");
    const title = `Course des deux relecteurs ${stamp}`;
    const id = await writeDraft(agent, { title });
    await agent.goto(`/contributions/${id}`);
    await agent.getByRole("button", { name: "Envoyer en relecture" }).click();
    await agent.waitForURL(`**/contributions/${id}?done=submitted`);
    await author.context.close();

    const [one, two] = await Promise.all([newContext(browser, baseUrl), newContext(browser, baseUrl)]);
    const first = await one.context.newPage();
    const late = await two.context.newPage();
    await signInAs(first.context(), "comms@demo.relais");
    await signInAs(late.context(), second);
    for (const page of [first, late]) {
      await page.goto(`/review/${id}`);
      await editorReady(page);
    }

    await first.getByRole("button", { name: "Approuver", exact: true }).click();
    await first.waitForURL(`**/review/${id}?done=approved`);

    const reason = `Le texte ne suit pas la ligne éditoriale (${stamp}).`;
    await late.getByLabel("Motif du refus").fill(reason);
    const [response] = await Promise.all([
      late.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith(`/review/${id}`)),
      late.getByRole("button", { name: "Refuser", exact: true }).click(),
    ]);
    expect(response.status()).toBe(409);

    // The page is no longer stale: the state and the decision that won are shown…
    await expect.poll(() => late.locator("header .status").innerText()).toBe("Approuvée");
    await expect(late.getByRole("alert").first().innerText()).resolves.toContain("Léa Dubois a approuvé");
    await expect(late.getByRole("region", { name: "Historique" }).getByText("Léa Dubois a approuvé").count()).resolves.toBe(1);
    // …there is nothing left to decide…
    await expect(late.getByRole("button", { name: "Refuser", exact: true }).count()).resolves.toBe(0);
    await expect(late.getByRole("button", { name: "Approuver", exact: true }).count()).resolves.toBe(0);
    // …and the reason typed is still there, to be reused.
    const kept = late.getByRole("textbox", { name: "Votre motif du refus (non envoyé)" });
    await expect(kept.inputValue()).resolves.toBe(reason);
    await expect(kept.isVisible()).resolves.toBe(true);
    expect(await seriousViolations(late)).toEqual([]);

    // Nothing of the refusal was stored: the author sees an approved contribution.
    const check = await newContext(browser, baseUrl);
    const agentAgain = await check.context.newPage();
    await signInAs(agentAgain.context(), "agent@demo.relais");
    await agentAgain.goto(`/contributions/${id}`);
    await expect(agentAgain.locator(".status").first().innerText()).resolves.toBe("Approuvée");
    await expect(agentAgain.getByText(reason).count()).resolves.toBe(0);
    await Promise.all([one.context.close(), two.context.close(), check.context.close()]);
  });
});
