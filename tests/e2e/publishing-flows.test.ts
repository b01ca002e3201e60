import fs from "node:fs";
import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seriousViolations } from "./axe-audit";
import { hydrated, launch, newContext, signInAs, type Browser } from "./browser";
import { database } from "./database";

// The publishing pages' other flows, in Chromium against the built server: the channel form with
// and without JavaScript, moving a publication with its conflict shown before saving, the manual
// kit (text copied, a crop downloaded, "marquer comme publié"), and the calendar on a phone.

const baseUrl = inject("e2eBaseUrl");
const stamp = randomBytes(3).toString("hex");
const names = { kit: `Kit ${stamp}`, feed: `Flux ${stamp}` };
const COMMS = "comms@demo.relais";
let browser: Browser;

async function commsActor() {
  const db = await database();
  const u = await db.selectFrom("app_user").select(["id", "role", "department_id"]).where("email", "=", COMMS).executeTakeFirstOrThrow();
  return { id: u.id, role: u.role, departmentId: u.department_id };
}

/** Approved contributions that may go outside, each with its first photo usable outside (if any). */
async function publishableContributions() {
  const db = await database();
  const { externalBlocks } = await import("~/photos/rights.server");
  const candidates = await db
    .selectFrom("contribution")
    .select(["id", "title"])
    .where("status", "=", "approved")
    .where("external_eligible", "=", true)
    .orderBy("id", "desc")
    .execute();
  const found = [];
  for (const c of candidates) {
    const photos = await db.selectFrom("photo").select("id").where("contribution_id", "=", c.id).orderBy("position").execute();
    const blocks = await externalBlocks(db, c.id);
    found.push({ ...c, usablePhoto: photos.length && !blocks.some((b) => b.photo === 1) ? photos[0].id : null });
  }
  return found;
}

/**
 * A second contribution that may go outside: the demo has one, so an approved one without photos
 * is made eligible (without photos, no other test picks it for its pictures).
 */
async function secondPublishable(besides: number) {
  const db = await database();
  const c = await db
    .selectFrom("contribution as c")
    .select(["c.id", "c.title"])
    .where("c.status", "=", "approved")
    .where("c.id", "<>", besides)
    .where((eb) => eb.not(eb.exists(eb.selectFrom("photo").select("photo.id").whereRef("photo.contribution_id", "=", "c.id"))))
    .orderBy("c.id", "desc")
    .executeTakeFirstOrThrow();
  await db.updateTable("contribution").set({ external_eligible: true }).where("id", "=", c.id).execute();
  return c;
}

async function channelId(slug: string) {
  const db = await database();
  return (await db.selectFrom("channel").select("id").where("slug", "=", slug).executeTakeFirstOrThrow()).id;
}

async function signedInPage(options: Parameters<Browser["newContext"]>[0] = {}) {
  const { context, foreign } = await newContext(browser, baseUrl, options);
  await signInAs(context, COMMS);
  return { context, page: await context.newPage(), foreign };
}

describe.skipIf(inject("e2eSkip"))("publishing flows", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("the channel form has every kind's settings without JavaScript and only the chosen kind's once live; both create a channel", async () => {
    const plain = await signedInPage({ javaScriptEnabled: false });
    await plain.page.goto("/publishing/channels");
    for (const legend of ["Mastodon (et compatibles)", "Bluesky", "Webhook", "Flux (RSS, Atom, JSON Feed)"]) {
      await expect(plain.page.getByRole("group", { name: legend }).isVisible(), legend).resolves.toBe(true);
    }
    await plain.page.getByLabel("Type de canal").selectOption("manual");
    await plain.page.getByLabel("Nom du canal", { exact: true }).fill(names.kit);
    await plain.page.getByLabel("Identifiant d'adresse", { exact: true }).fill(`kit-${stamp}`);
    await plain.page.getByLabel("Format des images").selectOption("4:5");
    await plain.page.getByRole("button", { name: "Créer le canal" }).click();
    await plain.page.getByText("Canal enregistré.").waitFor();
    await plain.context.close();

    const { context, page } = await signedInPage();
    await page.goto("/publishing/channels");
    await hydrated(page);
    await page.getByLabel("Type de canal").selectOption("bluesky");
    await page.getByLabel("Identifiant Bluesky (handle)").waitFor();
    await expect(page.getByLabel("Adresse de l'instance (https://…)").count()).resolves.toBe(0);
    await expect(page.getByRole("group", { name: "Webhook" }).count()).resolves.toBe(0);
    await page.getByLabel("Type de canal").selectOption("feed");
    await expect(page.getByLabel("Identifiant Bluesky (handle)").count()).resolves.toBe(0);
    await page.getByLabel("Nom du canal", { exact: true }).fill(names.feed);
    await page.getByLabel("Identifiant d'adresse", { exact: true }).fill(`flux-flows-${stamp}`);
    await page.getByRole("button", { name: "Créer le canal" }).click();
    await page.getByText("Canal enregistré.").waitFor();
    await context.close();

    const db = await database();
    const made = await db.selectFrom("channel").select(["kind", "image_aspect"]).where("slug", "in", [`kit-${stamp}`, `flux-flows-${stamp}`]).orderBy("slug").execute();
    expect(made.map((c) => c.kind)).toEqual(["feed", "manual"]);
    expect(made[1].image_aspect).toBe("4:5");
  });

  it("moving a publication shows the slot's conflict before anything is saved, then moves it to a free time", async () => {
    const db = await database();
    const { createPublication } = await import("~/publishing/queue.server");
    const { localInput } = await import("~/publishing/queue-view.server");
    const { env } = await import("~/env.server");
    const actor = await commsActor();
    const feed = await channelId(`flux-flows-${stamp}`);
    const [a] = await publishableContributions();
    const b = await secondPublishable(a.id);
    const first = await createPublication(db, actor, { contributionId: a.id, channelId: feed, photos: [], confirmPersonalData: true });
    const second = await createPublication(db, actor, { contributionId: b.id, channelId: feed, photos: [], confirmPersonalData: true });

    const { context, page } = await signedInPage();
    await page.goto(`/publishing/${first.id}`);
    await hydrated(page);
    const time = page.getByLabel("Nouvelle date et heure");
    await time.fill(localInput(second.scheduledAt, env().ORGANISATION_TIME_ZONE));
    await page.getByRole("button", { name: "Vérifier les conflits" }).click();
    await page.getByText(`Ce créneau est déjà pris par « ${b.title} »`).waitFor();
    // Shown, not saved.
    const still = await db.selectFrom("publication").select("scheduled_at").where("id", "=", first.id).executeTakeFirstOrThrow();
    expect(new Date(still.scheduled_at)).toEqual(first.scheduledAt);

    const free = new Date(second.scheduledAt.getTime() + 86_400_000 + 45 * 60_000);
    await time.fill(localInput(free, env().ORGANISATION_TIME_ZONE));
    await page.getByRole("button", { name: "Vérifier les conflits" }).click();
    await page.getByText("Aucun conflit : ce créneau est libre sur ce canal.").waitFor();
    await page.getByRole("button", { name: "Déplacer à cette heure" }).click();
    await page.getByText(/^Publication déplacée au /).waitFor();
    const moved = await db.selectFrom("publication").select("scheduled_at").where("id", "=", first.id).executeTakeFirstOrThrow();
    expect(new Date(moved.scheduled_at)).toEqual(free);
    await context.close();
  });

  it("the manual kit: the text copied in one press, a 4:5 JPEG crop downloaded, then marked published with the post's address", async () => {
    const db = await database();
    const { createPublication } = await import("~/publishing/queue.server");
    const actor = await commsActor();
    const kit = await channelId(`kit-${stamp}`);
    const withPhoto = (await publishableContributions()).find((c) => c.usablePhoto);
    expect(withPhoto, "the demo has an approved contribution with a photo usable outside").toBeTruthy();
    const made = await createPublication(db, actor, { contributionId: withPhoto!.id, channelId: kit, photos: [{ photoId: withPhoto!.usablePhoto! }], confirmPersonalData: true });
    const { text } = await db.selectFrom("publication").select("text").where("id", "=", made.id).executeTakeFirstOrThrow();

    const { context, page } = await signedInPage({ acceptDownloads: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
    await page.goto(`/publishing/${made.id}`);
    await hydrated(page);
    await expect(page.getByRole("textbox", { name: "Texte à copier" }).inputValue()).resolves.toBe(text);
    await page.getByRole("button", { name: "Copier le texte" }).click();
    await page.getByText("Texte copié.").waitFor();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(text);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /^Télécharger l'image 1/ }).click()]);
    const bytes = fs.readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const { format, width, height } = await sharp(bytes).metadata();
    expect(format).toBe("jpeg");
    expect(Math.abs(width! / height! - 4 / 5)).toBeLessThan(0.01);

    const postUrl = `https://www.instagram.com/p/relais-${stamp}/`;
    await page.getByLabel("Adresse de la publication sur le réseau").fill(postUrl);
    await page.getByRole("button", { name: "Marquer comme publié" }).click();
    await page.getByText("Publication marquée comme publiée.").waitFor();
    await expect(page.getByRole("link", { name: "Voir la publication" }).getAttribute("href")).resolves.toBe(postUrl);
    const row = await db.selectFrom("publication").select(["state", "remote_url"]).where("id", "=", made.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: "published", remote_url: postUrl });
    await context.close();
  });

  it("the queue's calendar and list fit a 360 px phone, without horizontal scroll nor a serious axe violation", async () => {
    const { context, page, foreign } = await signedInPage({ viewport: { width: 360, height: 740 }, hasTouch: true });
    for (const view of ["month", "week", "list"]) {
      await page.goto(`/publishing?view=${view}`);
      await hydrated(page);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, view).toBeLessThanOrEqual(360);
      expect(await seriousViolations(page), view).toEqual([]);
    }
    expect(foreign).toEqual([]);
    await context.close();
  });
});
