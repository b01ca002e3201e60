import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { env, setDatabaseUrl } from "~/env.server";
import * as channelPage from "~/routes/publishing.channels.$id";
import * as channelsPage from "~/routes/publishing.channels._index";
import * as newPage from "~/routes/publishing.new.$id";
import * as publicationPage from "~/routes/publishing.$id";
import * as queuePage from "~/routes/publishing._index";
import * as calendarPage from "~/routes/publishing.calendar";
import { createPublication } from "~/publishing/queue.server";
import { context, get, newDraft, outcome, post, run, signedIn } from "../../factories";
import { channel, comms, publishable } from "./fixtures";
import { unpack } from "~/utils/packed";

// The publishing pages' loaders and actions: who may use them, what they never send to a browser,
// and how they refuse bad input (a 4xx with a French message by the field, nothing stored).

const TOKEN = "jeton-tres-secret-0123456789";
const channelCount = async () => (await db().selectFrom("channel").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n;

function mastodonForm(fields: Record<string, string | string[]> = {}) {
  return { kind: "mastodon", name: "Framapiaf", slug: `framapiaf-${Math.random().toString(36).slice(2, 7)}`, instanceUrl: "https://framapiaf.example", accessToken: TOKEN, weekday: ["1", "2"], times: "18:30, 20:00", ...fields };
}

describe("channels pages", () => {
  it("answer 403 to agents and managers, loader and action alike", async () => {
    for (const role of ["agent", "manager"] as const) {
      const who = await signedIn(role);
      expect(outcome(await run(() => channelsPage.loader({ request: get("/publishing/channels", who.cookie), params: {}, context }))).status).toBe(403);
      expect(outcome(await run(() => channelsPage.action({ request: post("/publishing/channels", mastodonForm(), who.cookie), params: {}, context }))).status).toBe(403);
      expect(outcome(await run(() => queuePage.loader({ request: get("/publishing", who.cookie), params: {}, context }))).status).toBe(403);
    }
  });

  it("store a channel with its slots and never send its token back, neither after saving nor on its page", async () => {
    const { cookie } = await comms();
    const created = outcome(await channelsPage.action({ request: post("/publishing/channels", mastodonForm(), cookie), params: {}, context }));
    expect(created.status).toBe(200);
    expect(JSON.stringify(created.body)).not.toContain(TOKEN);
    const id = created.body.created as number;
    const row = await db().selectFrom("channel").select(["slots", "secret_sealed"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect(row.slots).toEqual([
      { weekday: 1, time: "18:30" },
      { weekday: 1, time: "20:00" },
      { weekday: 2, time: "18:30" },
      { weekday: 2, time: "20:00" },
    ]);
    expect(row.secret_sealed).not.toContain(TOKEN);
    const page = await channelPage.loader({ request: get(`/publishing/channels/${id}`, cookie), params: { id: String(id) }, context });
    expect(page.channel.hasSecret).toBe(true);
    expect(JSON.stringify(page)).not.toContain(TOKEN);
    const list = await channelsPage.loader({ request: get("/publishing/channels", cookie), params: {}, context });
    expect(JSON.stringify(list)).not.toContain(TOKEN);
    // Saved again with the token left empty: the stored one is kept.
    const saved = outcome(await channelPage.action({ request: post(`/publishing/channels/${id}`, { ...mastodonForm({ accessToken: "", name: "Framapiaf bis" }), intent: "save" }, cookie), params: { id: String(id) }, context }));
    expect(saved.status).toBe(200);
    expect((await db().selectFrom("channel").select("secret_sealed").where("id", "=", id).executeTakeFirstOrThrow()).secret_sealed).toBeTruthy();
  });

  it("show a webhook's signing secret once, at creation", async () => {
    const { cookie } = await comms();
    const created = outcome(await channelsPage.action({ request: post("/publishing/channels", { kind: "webhook", name: "Site", slug: `site-${Date.now()}`, url: "https://example.org/hook" }, cookie), params: {}, context }));
    expect(created.body.webhookSecret).toMatch(/^whsec_/);
    const page = await channelPage.loader({ request: get(`/publishing/channels/${created.body.created}`, cookie), params: { id: String(created.body.created) }, context });
    expect(JSON.stringify(page)).not.toContain(created.body.webhookSecret.slice(6));
  });

  it("refuse bad fields beside each field with a 4xx and store nothing", async () => {
    const { cookie } = await comms();
    const before = await channelCount();
    const refused = outcome(
      await channelsPage.action({ request: post("/publishing/channels", mastodonForm({ name: "", instanceUrl: "ftp://x", accessToken: "", characterLimit: "abc", times: "25:00" }), cookie), params: {}, context }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toMatchObject({
      name: "publishing.errors.name",
      instanceUrl: "publishing.errors.url",
      accessToken: "publishing.errors.accessToken",
      characterLimit: "publishing.errors.characterLimit",
      slots: "publishing.errors.slots",
    });
    expect(await channelCount()).toBe(before);
  });

  it("say in French that SECRETS_KEY is missing instead of failing with a 500", async () => {
    const { cookie } = await comms();
    const key = process.env.SECRETS_KEY;
    delete process.env.SECRETS_KEY;
    setDatabaseUrl(process.env.DATABASE_URL!);
    try {
      const before = await channelCount();
      const page = await channelsPage.loader({ request: get("/publishing/channels", cookie), params: {}, context });
      expect(page.keyReady).toBe(false);
      const refused = outcome(await channelsPage.action({ request: post("/publishing/channels", mastodonForm(), cookie), params: {}, context }));
      expect(refused.status).toBe(503);
      expect(refused.body.errors.form).toBe("publishing.errors.secretsKey");
      expect(await channelCount()).toBe(before);
    } finally {
      process.env.SECRETS_KEY = key;
      setDatabaseUrl(process.env.DATABASE_URL!);
    }
  });
});

describe("creating and moving publications from the pages", () => {
  async function setUp() {
    const who = await comms();
    const c = await publishable();
    const made = outcome(await channelsPage.action({ request: post("/publishing/channels", mastodonForm(), who.cookie), params: {}, context }));
    return { who, c, channelId: made.body.created as number };
  }

  it("answer 404 for a contribution comms may not see, and refuse a text over the channel's limit beside it", async () => {
    const { who, c, channelId } = await setUp();
    const author = await signedIn("agent");
    const draft = await newDraft(author.cookie, { title: "Brouillon privé" });
    expect(outcome(await run(() => newPage.loader({ request: get(`/publishing/new/${draft}`, who.cookie), params: { id: String(draft) }, context }))).status).toBe(404);
    const refused = outcome(
      await newPage.action({ request: post(`/publishing/new/${c.id}`, { channel: String(channelId), [`text-${channelId}`]: "x".repeat(501), [`when-${channelId}`]: "next" }, who.cookie), params: { id: String(c.id) }, context }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.errors[`text-${channelId}`]).toEqual(["publishing.errors.textTooLong", { length: 501, limit: 500 }]);
    const badTime = outcome(
      await newPage.action({ request: post(`/publishing/new/${c.id}`, { channel: String(channelId), [`text-${channelId}`]: "Bonjour", [`when-${channelId}`]: "at", [`at-${channelId}`]: "2026-02-31T18:30" }, who.cookie), params: { id: String(c.id) }, context }),
    );
    expect(badTime.body.errors[`at-${channelId}`]).toBe("publishing.errors.time");
    expect(await db().selectFrom("publication").select("id").where("contribution_id", "=", c.id).execute()).toEqual([]);
  });

  it("create at the next free slot with the chosen focal point, then show a move's conflicts before saving it", async () => {
    const { who, c, channelId } = await setUp();
    const draft = await newPage.loader({ request: get(`/publishing/new/${c.id}`, who.cookie), params: { id: String(c.id) }, context });
    const ours = draft.channels.find((ch) => ch.id === channelId)!;
    expect(ours.text).toContain("Fête du quartier");
    const photoId = c.photoIds[0];
    const created = await newPage.action({
      request: post(`/publishing/new/${c.id}`, { channel: String(channelId), [`text-${channelId}`]: ours.text, [`when-${channelId}`]: "next", [`photo-${channelId}`]: String(photoId), [`focus-${channelId}-${photoId}-x`]: "0.3", [`focus-${channelId}-${photoId}-y`]: "0.7" }, who.cookie),
      params: { id: String(c.id) },
      context,
    });
    expect((created as Response).status).toBe(302);
    const p = await db().selectFrom("publication").select(["id", "scheduled_at"]).where("contribution_id", "=", c.id).executeTakeFirstOrThrow();
    expect(new Date(p.scheduled_at).getTime()).toBe(new Date(ours.nextSlot!).getTime());
    expect(await db().selectFrom("publication_photo").select(["focus_x", "focus_y"]).where("publication_id", "=", p.id).executeTakeFirstOrThrow()).toEqual({ focus_x: 0.3, focus_y: 0.7 });

    // A second publication on the same channel, then the first moved onto its slot: the conflict is shown, nothing moves.
    const other = await publishable();
    const second = await newPage.action({ request: post(`/publishing/new/${other.id}`, { channel: String(channelId), [`text-${channelId}`]: "Autre", [`when-${channelId}`]: "next" }, who.cookie), params: { id: String(other.id) }, context });
    expect((second as Response).status).toBe(302);
    const taken = await db().selectFrom("publication").select(["scheduled_at"]).where("contribution_id", "=", other.id).executeTakeFirstOrThrow();
    const page = await publicationPage.loader({ request: get(`/publishing/${p.id}`, who.cookie), params: { id: String(p.id) }, context });
    const { localInput } = await import("~/publishing/queue-view.server");
    const at = localInput(new Date(taken.scheduled_at), env().ORGANISATION_TIME_ZONE);
    const checked = outcome(await publicationPage.action({ request: post(`/publishing/${p.id}`, { intent: "check", at }, who.cookie), params: { id: String(p.id) }, context }));
    expect(checked.body.conflicts.map((x: { kind: string }) => x.kind)).toEqual(["slot"]);
    expect(page.p.scheduledAt).toEqual(new Date(p.scheduled_at));
    const refused = outcome(await publicationPage.action({ request: post(`/publishing/${p.id}`, { intent: "move", at }, who.cookie), params: { id: String(p.id) }, context }));
    expect(refused.status).toBe(409);
    expect(refused.body.errors.at).toBe("publishing.errors.slotTaken");
    expect((await db().selectFrom("publication").select("scheduled_at").where("id", "=", p.id).executeTakeFirstOrThrow()).scheduled_at).toEqual(p.scheduled_at);
    expect(outcome(await run(() => publicationPage.loader({ request: get("/publishing/999999", who.cookie), params: { id: "999999" }, context }))).status).toBe(404);
  });
});

describe("the calendar subscription, on its own page", () => {
  it("gives a comms member their address once, never again in the page, and revokes it; the queue links to it", async () => {
    const { loader: icsLoader } = await import("~/routes/calendar[.]ics");
    const { cookie } = await comms();
    expect(outcome(await queuePage.loader({ request: get("/publishing", cookie), params: {}, context })).body.calendarLink).toBe(true);
    const before = outcome(await calendarPage.loader({ request: get("/publishing/calendar", cookie), params: {}, context }));
    expect(before.body.has).toBe(false);

    const made = outcome(await calendarPage.action({ request: post("/publishing/calendar", { intent: "calendar" }, cookie), params: {}, context }));
    expect(made.status).toBe(200);
    const url = new URL(made.body.calendarUrl as string);
    expect(url.pathname).toBe("/calendar.ics");
    const token = url.searchParams.get("token")!;
    const ics = await icsLoader({ request: new Request(`http://relais.test/calendar.ics?token=${token}`), params: {}, context });
    expect(ics.status).toBe(200);
    expect(await ics.text()).toMatch(/^BEGIN:VCALENDAR/);

    // The page knows an address exists but never shows it again; the database keeps only a hash.
    const after = outcome(await calendarPage.loader({ request: get("/publishing/calendar", cookie), params: {}, context }));
    expect(after.body.has).toBe(true);
    expect(JSON.stringify(after.body)).not.toContain(token);
    expect(JSON.stringify(await db().selectFrom("calendar_token").selectAll().execute())).not.toContain(token);

    // Neither the queue's old intents nor an unknown one make anything.
    for (const intent of ["", "nimporte"]) {
      expect(outcome(await run(() => calendarPage.action({ request: post("/publishing/calendar", { intent }, cookie), params: {}, context }))).status).toBe(400);
    }
    expect(outcome(await run(() => queuePage.action({ request: post("/publishing", { intent: "calendar" }, cookie), params: {}, context }))).status).toBe(400);

    await calendarPage.action({ request: post("/publishing/calendar", { intent: "calendarRevoke" }, cookie), params: {}, context });
    const gone = await run(() => icsLoader({ request: new Request(`http://relais.test/calendar.ics?token=${token}`), params: {}, context }));
    expect(outcome(gone).status).toBe(404);
    expect(outcome(await calendarPage.loader({ request: get("/publishing/calendar", cookie), params: {}, context })).body.has).toBe(false);
  });

  it("is no admin's nor an agent's: 403, and their request makes no token; an admin's queue has no link to it", async () => {
    const admin = await signedIn("admin");
    expect(outcome(await queuePage.loader({ request: get("/publishing", admin.cookie), params: {}, context })).body.calendarLink).toBe(false);
    for (const who of [admin, await signedIn("agent"), await signedIn("manager")]) {
      expect(outcome(await run(() => calendarPage.loader({ request: get("/publishing/calendar", who.cookie), params: {}, context }))).status).toBe(403);
      const answer = outcome(await run(() => calendarPage.action({ request: post("/publishing/calendar", { intent: "calendar" }, who.cookie), params: {}, context })));
      expect(answer.status).toBe(403);
      expect(await db().selectFrom("calendar_token").selectAll().where("user_id", "=", who.id).execute()).toEqual([]);
    }
  });
});

describe("the queue page's data", () => {
  it("sends the browser what the list and the calendar show, not the posts' texts", async () => {
    const { actor, cookie } = await comms();
    const ch = await channel(actor, { kind: "feed", name: "Site (liste)" });
    const c = await publishable({ title: "Concert du conservatoire" });
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, text: "Un texte de publication assez long pour se voir" });
    for (const view of ["list", "week", "month"]) {
      const page = outcome(await queuePage.loader({ request: get(`/publishing?view=${view}&at=${made.scheduledAt.toISOString().slice(0, 10)}`, cookie), params: {}, context }));
      const item = unpack<{ id: number }[]>(page.body.items).find((i) => i.id === made.id);
      expect(item, view).toMatchObject({ state: "scheduled", contribution: { id: c.id, title: "Concert du conservatoire" }, channel: { id: ch.id, name: "Site (liste)" } });
      expect(JSON.stringify(page.body), view).not.toContain("Un texte de publication");
    }
  });
});

describe("the queue's row buttons (one form around the table: a button sends its publication's id under its intent)", () => {
  it("cancel and retry the publication named by the button pressed; bad or old-style input is a 400 and changes nothing; agents get 403", async () => {
    const { actor, cookie } = await comms();
    const ch = await channel(actor, { kind: "feed" });
    const make = async () => (await createPublication(db(), actor, { contributionId: (await publishable()).id, channelId: ch.id, text: "Texte" })).id;
    const [kept, cancelled, failed] = [await make(), await make(), await make()];
    await db().updateTable("publication").set({ state: "failed" }).where("id", "=", failed).execute();
    const state = async (id: number) => (await db().selectFrom("publication").select("state").where("id", "=", id).executeTakeFirstOrThrow()).state;
    const send = (fields: Record<string, string>, who = cookie) => run(() => queuePage.action({ request: post("/publishing?index", fields, who), params: {}, context }));

    for (const role of ["agent", "manager"] as const) {
      const who = await signedIn(role);
      expect(outcome(await send({ cancel: String(kept) }, who.cookie)).status).toBe(403);
    }
    for (const fields of [{}, { cancel: "abc" }, { cancel: "-3" }, { retry: "" }, { intent: "cancel", id: String(kept) }, { supprimer: String(kept) }] as Record<string, string>[]) {
      const refused = outcome(await send(fields));
      expect(refused.status, JSON.stringify(fields)).toBe(400);
      expect(refused.body).toMatchObject({ errors: { form: "errors.400" } }); // "La demande n'est pas valide."
    }
    expect(await state(kept)).toBe("scheduled");

    const done = outcome(await send({ cancel: String(cancelled) }));
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ ok: true, message: "publishing.queue.cancelled" });
    expect(await state(cancelled)).toBe("cancelled");
    expect(await state(kept)).toBe("scheduled");

    expect(outcome(await send({ retry: String(failed) })).body).toMatchObject({ ok: true, message: "publishing.queue.retried" });
    expect(await state(failed)).toBe("scheduled");
    // A publication that did not fail cannot be retried; one on its way cannot be cancelled; a second
    // press on "annuler" (another comms member's, at the same time) is no error.
    expect(outcome(await send({ retry: String(kept) })).status).toBe(409);
    expect(await state(kept)).toBe("scheduled");
    await db().updateTable("publication").set({ state: "publishing" }).where("id", "=", failed).execute();
    expect(outcome(await send({ cancel: String(failed) })).status).toBe(409);
    expect(await state(failed)).toBe("publishing");
    expect(outcome(await send({ cancel: String(cancelled) })).status).toBe(200);
  });
});
