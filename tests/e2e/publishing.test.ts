import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startBluesky, type BlueskyStandin } from "../standins/bluesky";
import { startMastodon, type MastodonStandin } from "../standins/mastodon";
import { seriousViolations } from "./axe-audit";
import { launch, newContext, signInAs, type Browser, type Page } from "./browser";
import { database } from "./database";

// The publishing queue's promise, in Chromium against the built server: comms configure a
// Mastodon, a Bluesky and a feed channel (the networks are stand-ins on 127.0.0.1), put an approved
// contribution on all three with a photo cropped by keyboard at the next free evening slot, the
// server's own worker delivers, the feed lists it, and the contributor sees "Publiée sur …".

const baseUrl = inject("e2eBaseUrl");
const stamp = randomBytes(3).toString("hex");
const names = { mastodon: `Mastodon ${stamp}`, bluesky: `Bluesky ${stamp}`, feed: `Flux ${stamp}` };
const feedSlug = `flux-${stamp}`;
let browser: Browser;
let mastodon: MastodonStandin;
let bluesky: BlueskyStandin;

/** An approved contribution that may go outside, with a photo usable outside, and its author. */
async function publishableContribution() {
  const db = await database();
  const { externalBlocks } = await import("~/photos/rights.server");
  const candidates = await db
    .selectFrom("contribution as c")
    .innerJoin("app_user as a", "a.id", "c.author_id")
    .select(["c.id", "c.title", "a.email"])
    .where("c.status", "=", "approved")
    .where("c.external_eligible", "=", true)
    .where((eb) => eb.exists(eb.selectFrom("photo").select("photo.id").whereRef("photo.contribution_id", "=", "c.id")))
    .orderBy("c.id")
    .execute();
  for (const c of candidates) {
    if ((await externalBlocks(db, c.id)).length === 0) return c;
  }
  throw new Error("the demo has no approved contribution with a photo usable outside");
}

async function createChannel(page: Page, kind: string, fill: Record<string, string>) {
  await page.goto("/publishing/channels");
  await page.waitForFunction(() => "__remixRouter" in window);
  await page.getByLabel("Type de canal").selectOption(kind);
  for (const [label, value] of Object.entries(fill)) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole("button", { name: "Créer le canal" }).click();
  await page.getByText("Canal enregistré.").waitFor();
}

describe.skipIf(inject("e2eSkip"))("publishing outside, from the pages to the networks", () => {
  beforeAll(async () => {
    mastodon = await startMastodon();
    bluesky = await startBluesky();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await mastodon?.close();
    await bluesky?.close();
  });

  it("comms publish a contribution on Mastodon, Bluesky and a feed; the worker delivers once each; the contributor sees where", async () => {
    const contribution = await publishableContribution();
    const { context, foreign } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "comms@demo.relais");

    await createChannel(page, "mastodon", { "Nom du canal": names.mastodon, "Identifiant d'adresse": `masto-${stamp}`, "Adresse de l'instance (https://…)": mastodon.url, "Jeton d'accès du compte": mastodon.token });
    // Secrets are write-only: neither the page nor its data carry the token once saved.
    const channelsHtml = await page.content();
    expect(channelsHtml).not.toContain(mastodon.token);
    await createChannel(page, "bluesky", {
      "Nom du canal": names.bluesky,
      "Identifiant d'adresse": `bsky-${stamp}`,
      "Identifiant Bluesky (handle)": bluesky.handle,
      "Mot de passe d'application Bluesky": bluesky.appPassword,
      "Serveur Bluesky": bluesky.url,
    });
    await createChannel(page, "feed", { "Nom du canal": names.feed, "Identifiant d'adresse": feedSlug });
    await page.getByRole("link", { name: names.mastodon }).click();
    await page.getByText("Enregistré : laissez vide pour le garder.").waitFor();
    const editHtml = await page.content();
    expect(editHtml).not.toContain(mastodon.token);
    expect(editHtml).not.toContain(bluesky.appPassword);

    // From the contribution page, "Publier à l'extérieur".
    await page.goto(`/contributions/${contribution.id}`);
    await page.getByRole("link", { name: "Publier à l'extérieur" }).click();
    await page.waitForURL(`**/publishing/new/${contribution.id}`);
    await page.waitForFunction(() => "__remixRouter" in window);
    for (const name of Object.values(names)) await page.getByLabel(`Publier sur ${name}`).check();

    // The Mastodon text counts against its limit, live.
    const mastodonSection = page.getByRole("region", { name: names.mastodon });
    const counter = mastodonSection.locator("[aria-live=polite]").first();
    await expect(counter.innerText()).resolves.toMatch(/^\d+ caractères sur 500$/);

    // The focal point of the first photo, moved right three steps and down one with the keyboard.
    const crop = mastodonSection.getByRole("application", { name: /^Recadrage de la photo 1 au format 16:9/ });
    const before = Number(await mastodonSection.locator("input[type=hidden][name$='-x']").first().inputValue());
    await crop.focus();
    for (const key of ["ArrowRight", "ArrowRight", "ArrowRight", "ArrowDown"]) await page.keyboard.press(key);
    const focusX = Number(await mastodonSection.locator("input[type=hidden][name$='-x']").first().inputValue());
    expect(focusX).toBeCloseTo(Math.min(1, before + 0.06), 3);
    await expect(mastodonSection.getByText(/^Point focal : \d+ % depuis la gauche/).first().innerText()).resolves.toContain(`${Math.round(focusX * 100)} %`);

    // The next free slot is the default: an evening one (18:30, the default slots).
    const nextSlot = mastodonSection.getByRole("radio", { name: /^Au créneau libre suivant/ });
    await expect(nextSlot.isChecked()).resolves.toBe(true);
    await expect(mastodonSection.getByText(/^Au créneau libre suivant/).innerText()).resolves.toContain("18:30");

    // The page with its crop editors and counters open: no serious accessibility violation.
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("button", { name: "Créer les publications" }).click();
    await page.waitForURL("**/publishing?created=3");
    await page.getByText("3 publications créées.").waitFor();
    for (const name of Object.values(names)) await expect(page.getByRole("cell", { name, exact: true }).count()).resolves.toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);

    const db = await database();
    const rows = await db
      .selectFrom("publication as p")
      .innerJoin("channel as ch", "ch.id", "p.channel_id")
      .select(["p.id", "p.state", "p.scheduled_at", "ch.name", "ch.kind"])
      .where("p.contribution_id", "=", contribution.id)
      .where("ch.name", "in", Object.values(names))
      .execute();
    expect(rows.map((r) => r.state)).toEqual(["scheduled", "scheduled", "scheduled"]);
    const paris = new Intl.DateTimeFormat("fr-FR", { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit" });
    for (const r of rows) expect(paris.format(new Date(r.scheduled_at)), r.name).toBe("18:30");
    const mastodonPublication = rows.find((r) => r.kind === "mastodon")!;
    const storedFocus = await db.selectFrom("publication_photo").select(["focus_x"]).where("publication_id", "=", mastodonPublication.id).orderBy("position").executeTakeFirstOrThrow();
    expect(storedFocus.focus_x).toBeCloseTo(focusX, 3);

    // Due now: the server's in-process worker delivers them.
    const { queueDelivery } = await import("~/publishing/queue.server");
    const { sql } = await import("kysely");
    for (const [i, r] of rows.entries()) {
      const due = new Date(Date.now() - 1000 * (i + 1));
      await db.updateTable("publication").set({ scheduled_at: due }).where("id", "=", r.id).execute();
      await queueDelivery(db, r.id, due);
    }
    const deadline = Date.now() + 45_000;
    let states: string[] = [];
    while (Date.now() < deadline) {
      states = (await db.selectFrom("publication").select("state").where("id", "in", rows.map((r) => r.id)).execute()).map((r) => r.state);
      if (states.every((s) => s === "published" || s === "failed")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const errors = await db.selectFrom("publication").select(["id", "last_error"]).where("id", "in", rows.map((r) => r.id)).where(sql<boolean>`last_error is not null`).execute();
    expect(states, JSON.stringify(errors)).toEqual(["published", "published", "published"]);

    const photo = await db.selectFrom("photo").select(["alt_text"]).where("contribution_id", "=", contribution.id).orderBy("position").executeTakeFirstOrThrow();
    expect(mastodon.statuses).toHaveLength(1);
    expect(mastodon.statuses[0].text).toContain(contribution.title);
    expect(mastodon.statuses[0].mediaIds.length).toBeGreaterThan(0);
    expect(mastodon.media.get(mastodon.statuses[0].mediaIds[0])!.description).toBe(photo.alt_text);
    expect(bluesky.records.size).toBe(1);
    const record = [...bluesky.records.values()][0].value;
    expect(record.embed.images[0].alt).toBe(photo.alt_text);

    // The feed lists the item with its picture, which answers.
    const feed = await (await fetch(`${baseUrl}/feeds/${feedSlug}.json`)).json();
    expect(feed.items).toHaveLength(1);
    expect(feed.items[0].title).toBe(contribution.title);
    const image = feed.items[0].image ?? feed.items[0].attachments?.[0]?.url;
    expect(image).toMatch(new RegExp(`^${baseUrl}/feeds/${feedSlug}/\\d+-1\\.jpeg$`));
    const picture = await fetch(image);
    expect(picture.status).toBe(200);
    expect(picture.headers.get("content-type")).toBe("image/jpeg");
    // Its reach as the fetch_reach job stores it (the reading itself: tests/integration/publishing/
    // reach.test.ts): comms see it on the publication and in the channel's summary.
    await db.insertInto("publication_reach").values({ publication_id: mastodonPublication.id, shares: 12, likes: 30, replies: 2, fetched_at: new Date() }).execute();
    await page.goto(`/publishing/${mastodonPublication.id}`);
    await page.getByText("partagée 12 fois, aimée 30 fois, 2 réponses").waitFor();
    await page.getByRole("link", { name: "Audience des 90 derniers jours" }).click();
    await page.getByRole("heading", { name: `Audience de ${names.mastodon}` }).waitFor();
    const reachRow = page.getByRole("row").filter({ hasText: contribution.title });
    await expect(reachRow.getByRole("cell", { name: "30", exact: true }).count()).resolves.toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    expect(foreign).toEqual([]);
    await context.close();

    // The contributor sees where it went, with the link to the post, and its reach.
    const author = await newContext(browser, baseUrl);
    const mine = await author.context.newPage();
    await signInAs(author.context, contribution.email);
    await mine.goto(`/contributions/${contribution.id}`);
    const link = mine.getByRole("link", { name: `Publiée sur ${names.mastodon}` });
    await expect(link.getAttribute("href")).resolves.toBe(mastodon.statuses[0].url);
    await expect(mine.getByRole("link", { name: `Publiée sur ${names.bluesky}` }).getAttribute("href")).resolves.toMatch(/^https:\/\/bsky\.app\/profile\//);
    await mine.getByText("partagée 12 fois, aimée 30 fois, 2 réponses").waitFor();
    // "Mes contributions" comes in pages, newest first, and other tests of the run write as the same
    // agent: follow the pages to the one holding this contribution.
    await mine.goto("/my");
    const publishedHere = mine.getByRole("link", { name: `Publiée sur ${names.mastodon}` });
    for (let page = 0; page < 20 && (await publishedHere.count()) === 0; page++) {
      const more = mine.getByRole("link", { name: "Voir les suivantes" });
      if ((await more.count()) === 0) break;
      await mine.goto((await more.first().getAttribute("href"))!);
    }
    await expect(publishedHere.count()).resolves.toBe(1);
    await expect(mine.getByText("partagée 12 fois, aimée 30 fois, 2 réponses").count()).resolves.toBe(1);
    await author.context.close();
  });
});
