import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hydrated, launch, newContext, recordErrors, signInAs, type Browser } from "./browser";
import { database } from "./database";

// The queue's rows and calendar days are kept markup with plain links and forms, made live by
// ClientNavigation: in Chromium against the built server, their links open in the page, their
// buttons send through the router (asking first where they should), the page hydrates without a
// mismatch, and without JavaScript the same forms work as plain HTML.

const baseUrl = inject("e2eBaseUrl");
const stamp = randomBytes(3).toString("hex");
const COMMS = "comms@demo.relais";
let browser: Browser;

let madeChannels = 0;

/**
 * A publication on each of two new feed channels (the first named in the rows' labels), of the
 * demo's approved contribution without photos.
 */
async function twoPublications() {
  const db = await database();
  const { createChannel } = await import("~/publishing/channels.server");
  const { createPublication } = await import("~/publishing/queue.server");
  const u = await db.selectFrom("app_user").select(["id", "role", "department_id"]).where("email", "=", COMMS).executeTakeFirstOrThrow();
  const actor = { id: u.id, role: u.role, departmentId: u.department_id };
  const c = await db
    .selectFrom("contribution as c")
    .select(["c.id", "c.title"])
    .where("c.status", "=", "approved")
    .where((eb) => eb.not(eb.exists(eb.selectFrom("photo").select("photo.id").whereRef("photo.contribution_id", "=", "c.id"))))
    .orderBy("c.id")
    .executeTakeFirstOrThrow();
  await db.updateTable("contribution").set({ external_eligible: true }).where("id", "=", c.id).execute();
  const made = [];
  for (let i = 0; i < 2; i++) {
    madeChannels++;
    const name = `File ${stamp} ${madeChannels}`;
    const channel = await createChannel(db, actor, { kind: "feed", name, slug: `file-${stamp}-${madeChannels}` });
    const p = await createPublication(db, actor, { contributionId: c.id, channelId: channel.id, photos: [], confirmPersonalData: true });
    made.push({ ...p, title: c.title, channel: { id: channel.id, name } });
  }
  return { db, channel: made[0].channel, made };
}

describe.skipIf(inject("e2eSkip"))("the publishing queue's rows", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("hydrate without a mismatch; their links open in the page; cancel asks first, then cancels through the router", async () => {
    const { db, channel, made } = await twoPublications();
    const [first, second] = made;
    const { context } = await newContext(browser, baseUrl);
    await signInAs(context, COMMS);
    const page = await context.newPage();
    const errors = recordErrors(page);
    const state = async (id: number) => (await db.selectFrom("publication").select("state").where("id", "=", id).executeTakeFirstOrThrow()).state;

    const list = `/publishing?view=list&channel=${channel.id}`;
    // Twice: the second answer is the kept markup.
    for (let i = 0; i < 2; i++) {
      await page.goto(list);
      await hydrated(page);
    }
    // A mark on the window survives navigations in the page, not a reload.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    const stayed = () => page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed === true);

    const row = page.getByRole("row").filter({ hasText: first.title });
    // Cancelled on the page as it was loaded, whose rows came as markup only (utils/packed.ts): the
    // answer's rows then replace that markup. Dismissed: nothing is sent.
    page.once("dialog", (dialog) => void dialog.dismiss());
    await row.getByRole("button", { name: `Annuler la publication ${first.title} ${channel.name}`, exact: true }).click();
    await page.waitForTimeout(300);
    expect(await state(first.id)).not.toBe("cancelled");
    // Accepted: cancelled, the page answers in place.
    page.once("dialog", (dialog) => {
      expect(dialog.message()).toBe("Annuler cette publication ?");
      void dialog.accept();
    });
    await row.getByRole("button", { name: `Annuler la publication ${first.title} ${channel.name}`, exact: true }).click();
    await page.getByText("Publication annulée.").waitFor();
    expect(await state(first.id)).toBe("cancelled");
    expect(await state(second.id)).not.toBe("cancelled");
    expect(new URL(page.url()).searchParams.get("channel")).toBe(String(channel.id));
    await row.waitFor({ state: "detached" }); // the list shows what is still to come
    expect(await stayed()).toBe(true);

    // The other publication's row: its title opens the publication in the page.
    await page.goto(`/publishing?view=list&channel=${second.channel.id}`);
    await hydrated(page);
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    await page.getByRole("row").filter({ hasText: second.channel.name }).getByRole("link", { name: second.title, exact: true }).click();
    await page.waitForURL((url) => url.pathname === `/publishing/${second.id}`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    expect(await stayed()).toBe(true);

    // The month of the other publication: a day's publication opens in the page too.
    const { env } = await import("~/env.server");
    const { todayIn } = await import("~/utils/dates");
    await page.goto(`/publishing?view=month&at=${todayIn(env().ORGANISATION_TIME_ZONE, second.scheduledAt)}`);
    await hydrated(page);
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    // Its day's first publications are shown (ours may be among "+ N autres" when other tests fill the day).
    const shownLink = page.locator(".calendar li.card a").first();
    const href = (await shownLink.getAttribute("href"))!;
    expect(href).toMatch(/^\/publishing\/\d+$/);
    await shownLink.click();
    await page.waitForURL((url) => url.pathname === href);
    expect(await stayed()).toBe(true);

    // The page's own links (views, pager) are plain links too, and open in the page.
    await page.goBack();
    await page.getByRole("navigation", { name: "Affichage" }).getByRole("link", { name: "Liste" }).click();
    await page.waitForURL((url) => url.searchParams.get("view") === "list");
    await page.getByRole("table").waitFor();
    expect(await stayed()).toBe(true);

    expect(errors).toEqual([]);
    await context.close();
  });

  it("work without JavaScript: the cancel form posts to the queue's action", async () => {
    const { db, channel, made } = await twoPublications();
    const { context } = await newContext(browser, baseUrl, { javaScriptEnabled: false });
    await signInAs(context, COMMS);
    const page = await context.newPage();
    await page.goto(`/publishing?view=list&channel=${channel.id}`);
    const row = page.getByRole("row").filter({ hasText: made[0].title });
    await row.getByRole("button", { name: `Annuler la publication ${made[0].title} ${channel.name}`, exact: true }).click();
    await page.getByText("Publication annulée.").waitFor();
    const after = await db.selectFrom("publication").select("state").where("id", "=", made[0].id).executeTakeFirstOrThrow();
    expect(after.state).toBe("cancelled");
    await context.close();
  });
});
