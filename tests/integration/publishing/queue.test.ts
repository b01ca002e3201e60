import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { tFor } from "~/i18n/i18n";
import { channelForDelivery, createChannel, getChannel, listChannels, updateChannel } from "~/publishing/channels.server";
import {
  cancelPublication,
  conflictsFor,
  createPublication,
  getPublication,
  listQueue,
  movePublication,
  proposeSlot,
} from "~/publishing/queue.server";
import { markPublishedByHand } from "~/publishing/delivery.server";
import { UserError } from "~/utils/errors.server";
import { signedIn } from "../../factories";
import { channel, comms, deliveryJob, publicationRow, publishable } from "./fixtures";

/** The French message of a refusal, or a description of what was thrown instead. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return tFor("fr")(error.key, error.params);
    if (error instanceof Response) return `HTTP ${error.status}`;
    throw error;
  }
  return "accepté";
}

const paris = (date: Date) =>
  new Intl.DateTimeFormat("fr-FR", { timeZone: "Europe/Paris", weekday: "long", hour: "2-digit", minute: "2-digit" }).format(date);

describe("channels", () => {
  it("seal their secrets, never hand them back, and refuse a taken slug with a French message", async () => {
    const { actor } = await comms();
    const made = await createChannel(db(), actor, { kind: "mastodon", name: "Framapiaf", slug: "framapiaf", instanceUrl: "https://framapiaf.org/", accessToken: "jeton-tres-secret" });
    const row = await db().selectFrom("channel").selectAll().where("id", "=", made.id).executeTakeFirstOrThrow();
    expect(row.secret_sealed).toMatch(/^v1:/);
    expect(row.secret_sealed).not.toContain("jeton-tres-secret");
    const view = await getChannel(db(), actor, made.id);
    expect(JSON.stringify(view)).not.toContain("jeton");
    expect(JSON.stringify(await listChannels(db(), actor))).not.toContain("v1:");
    expect(view).toMatchObject({ kind: "mastodon", settings: { instanceUrl: "https://framapiaf.org" }, characterLimit: 500, hasSecret: true });
    expect(view.slots).toHaveLength(5);

    const again = createChannel(db(), actor, { kind: "feed", name: "Autre", slug: "framapiaf" });
    await expect(again).rejects.toMatchObject({ status: 409, errors: { slug: "publishing.errors.slugTaken" } });
    expect(await db().selectFrom("channel").select("id").execute()).toHaveLength(1);
  });

  it("make a webhook secret shown once, and answer 403 to an agent", async () => {
    const { actor } = await comms();
    const made = await createChannel(db(), actor, { kind: "webhook", name: "Site", slug: "site", url: "https://example.org/hook" });
    expect(made.webhookSecret).toMatch(/^whsec_/);
    const agent = await signedIn("agent");
    const denied = await createChannel(db(), { id: agent.id, role: "agent", departmentId: agent.departmentId }, { kind: "feed", name: "X", slug: "x" }).catch((e) => e);
    expect(denied).toBeInstanceOf(Response);
    expect((denied as Response).status).toBe(403);
  });
});

describe("changing a channel", () => {
  it("keeps a secret left empty, replaces one given, and refuses bad input beside its field", async () => {
    const { actor } = await comms();
    const made = await createChannel(db(), actor, { kind: "mastodon", name: "Piaf", slug: "piaf", instanceUrl: "https://piaf.example", accessToken: "premier-jeton" });
    await updateChannel(db(), actor, made.id, { kind: "mastodon", name: "Piaf 2", slug: "piaf", instanceUrl: "https://piaf.example", accessToken: "" });
    expect((await channelForDelivery(db(), made.id))!.secrets.accessToken).toBe("premier-jeton");
    await updateChannel(db(), actor, made.id, { kind: "mastodon", name: "Piaf 2", slug: "piaf", instanceUrl: "https://piaf.example", accessToken: "second-jeton" });
    expect((await channelForDelivery(db(), made.id))!.secrets.accessToken).toBe("second-jeton");
    const bad = updateChannel(db(), actor, made.id, { kind: "mastodon", name: "", slug: "Pas Bon", instanceUrl: "ftp://x", slots: [{ weekday: 8, time: "25:00" }] } as never);
    await expect(bad).rejects.toMatchObject({
      status: 400,
      errors: { name: "publishing.errors.name", slug: "publishing.errors.slug", instanceUrl: "publishing.errors.url", slots: "publishing.errors.slots" },
    });
    expect((await getChannel(db(), actor, made.id)).name).toBe("Piaf 2");
  });
});

describe("creating a publication", () => {
  it("prefills the text with a credit line naming the contributor and department, and takes the next free evening slot", async () => {
    const { actor } = await comms();
    const c = await publishable({ departmentName: "Médiathèque" });
    const ch = await channel(actor, { kind: "feed" });
    const before = Date.now();
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    const row = await publicationRow(made.id);
    expect(row.text).toContain("Fête du quartier au centre culturel");
    expect(row.text).toContain(`Contribution de ${c.author.name}, service Médiathèque`);
    expect(row.state).toBe("scheduled");
    expect(made.scheduledAt.getTime()).toBeGreaterThan(before);
    expect(paris(made.scheduledAt)).toMatch(/(lundi|mardi|mercredi|jeudi|vendredi) 18:30/);
    // Its delivery waits for its time, under one job key.
    expect((await deliveryJob(made.id))?.runAt.getTime()).toBe(made.scheduledAt.getTime());
    const photos = await db().selectFrom("publication_photo").select("photo_id").where("publication_id", "=", made.id).execute();
    expect(photos.map((p) => p.photo_id)).toEqual(c.photoIds);
  });

  it("names only the department when the contributor opted out of being named", async () => {
    const { actor } = await comms();
    const c = await publishable({ departmentName: "Piscine" });
    await db().updateTable("app_user").set({ credit_opt_out: true }).where("id", "=", c.author.id).execute();
    const ch = await channel(actor, { kind: "feed" });
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    const row = await publicationRow(made.id);
    expect(row.text).toContain("Contribution du service Piscine");
    expect(row.text).not.toContain(c.author.name);
  });

  it("refuses what may not go outside, with a French message and nothing stored", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed" });
    const internal = await publishable();
    await db().updateTable("contribution").set({ external_eligible: false }).where("id", "=", internal.id).execute();
    expect(await refusal(createPublication(db(), actor, { contributionId: internal.id, channelId: ch.id }))).toMatch(/réservée à l'usage interne/);

    const submitted = await publishable();
    await db().updateTable("contribution").set({ status: "submitted", visibility: null, approved_at: null }).where("id", "=", submitted.id).execute();
    expect(await refusal(createPublication(db(), actor, { contributionId: submitted.id, channelId: ch.id }))).toMatch(/approuvée/);

    const refused = await publishable();
    await db().updateTable("photo").set({ rights_status: "refused" }).where("contribution_id", "=", refused.id).execute();
    expect(await refusal(createPublication(db(), actor, { contributionId: refused.id, channelId: ch.id }))).toBe(
      "Photo inutilisable à l'extérieur : Photo 1 : autorisation refusée.",
    );

    const ok = await publishable();
    expect(await refusal(createPublication(db(), actor, { contributionId: ok.id, channelId: ch.id, text: "x".repeat(10001) }))).toBe(
      "Le texte compte 10001 caractères ; ce canal en accepte 10000.",
    );
    expect(await refusal(createPublication(db(), actor, { contributionId: ok.id, channelId: ch.id, scheduledAt: new Date(Date.now() - 60_000) }))).toMatch(
      /à venir/,
    );
    const bluesky = await channel(actor, { kind: "bluesky", identifier: "relais.bsky.social", appPassword: "a-b-c-d" });
    expect(await refusal(createPublication(db(), actor, { contributionId: ok.id, channelId: bluesky.id, text: "é".repeat(301) }))).toMatch(/301 caractères ; ce canal en accepte 300/);
    const ids = [internal.id, submitted.id, refused.id, ok.id];
    expect(await db().selectFrom("publication").select("id").where("contribution_id", "in", ids).execute()).toHaveLength(0);
  });

  it("answers 403 to agents and managers, 404 for a draft comms may not see", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed" });
    const c = await publishable();
    for (const role of ["agent", "manager"] as const) {
      const user = await signedIn(role, c.departmentId);
      expect(await refusal(createPublication(db(), { id: user.id, role, departmentId: user.departmentId }, { contributionId: c.id, channelId: ch.id }))).toBe("HTTP 403");
    }
    await db().updateTable("contribution").set({ status: "draft", visibility: null, approved_at: null }).where("id", "=", c.id).execute();
    expect(await refusal(createPublication(db(), actor, { contributionId: c.id, channelId: ch.id }))).toBe("HTTP 404");
    expect(await refusal(createPublication(db(), actor, { contributionId: 999999, channelId: ch.id }))).toBe("HTTP 404");
    expect(await refusal(getPublication(db(), actor, 999999))).toBe("HTTP 404");
  });

  it("keeps one live publication per contribution and channel, in the database itself", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed" });
    const c = await publishable();
    const first = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    expect(await refusal(createPublication(db(), actor, { contributionId: c.id, channelId: ch.id }))).toMatch(/déjà prévue ou publiée sur ce canal/);
    // Not by a check: a direct insert is refused too.
    const direct = db()
      .insertInto("publication")
      .values({ contribution_id: c.id, channel_id: ch.id, text: "x", scheduled_at: new Date(Date.now() + 86_400_000 * 90) })
      .execute();
    await expect(direct).rejects.toMatchObject({ code: "23505", constraint: "publication_contribution_channel_key" });
    // Cancelled, it frees its place.
    await cancelPublication(db(), actor, first.id);
    expect(await deliveryJob(first.id)).toBeNull();
    await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
  });

  it("gives two comms members asking at once two different slots", async () => {
    const { actor } = await comms();
    const other = (await comms()).actor;
    const ch = await channel(actor, { kind: "feed" });
    const [a, b, c] = [await publishable(), await publishable(), await publishable()];
    const expected = await proposeSlot(db(), actor, ch.id);

    // A transaction that took the first slot and has not committed yet: the next request sees the
    // slot as free, waits on the unique index, and takes the next slot once this one commits.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    const blocker = db()
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto("publication").values({ contribution_id: a.id, channel_id: ch.id, text: "a", scheduled_at: expected!, state: "queued" }).execute();
        inserted();
        await held;
      });
    await insertedYet;
    const waiting = createPublication(db(), other, { contributionId: b.id, channelId: ch.id });
    // It is blocked on the index, not done.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waits = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`.execute(db());
    expect(waits.rows[0].n).toBe(1);
    release();
    await blocker;
    const second = await waiting;
    expect(second.scheduledAt.getTime()).toBeGreaterThan(expected!.getTime());

    // And two at once through the domain, both racing.
    const d = await publishable();
    const both = await Promise.all([
      createPublication(db(), actor, { contributionId: c.id, channelId: ch.id }),
      createPublication(db(), other, { contributionId: d.id, channelId: ch.id }),
    ]);
    const times = new Set([expected!.getTime(), second.scheduledAt.getTime(), ...both.map((p) => p.scheduledAt.getTime())]);
    expect(times.size).toBe(4);
  });

  it("lists conflicts for a proposed slot, moves to another slot and refuses a taken one", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed" });
    const [a, b] = [await publishable({ title: "Premier" }), await publishable({ title: "Second" })];
    const first = await createPublication(db(), actor, { contributionId: a.id, channelId: ch.id });
    const second = await createPublication(db(), actor, { contributionId: b.id, channelId: ch.id });
    expect(second.scheduledAt.getTime()).not.toBe(first.scheduledAt.getTime());

    const conflicts = await conflictsFor(db(), actor, { channelId: ch.id, scheduledAt: first.scheduledAt, contributionId: b.id, excludeId: second.id });
    expect(conflicts.map((c) => [c.kind, c.title])).toEqual([["slot", "Premier"]]);
    const same = await conflictsFor(db(), actor, { channelId: ch.id, scheduledAt: new Date(Date.now() + 3 * 86_400_000), contributionId: a.id });
    expect(same.map((c) => c.kind)).toEqual(["contribution"]);

    expect(await refusal(movePublication(db(), actor, second.id, first.scheduledAt))).toMatch(/déjà pris/);
    const at = new Date(Math.ceil((Date.now() + 5 * 86_400_000) / 60_000) * 60_000);
    await movePublication(db(), actor, second.id, at);
    expect(new Date((await publicationRow(second.id)).scheduled_at).getTime()).toBe(at.getTime());
    expect((await deliveryJob(second.id))?.runAt.getTime()).toBe(at.getTime());

    const queue = await listQueue(db(), actor, { channelId: ch.id });
    expect(queue.map((q) => q.contribution.title)).toEqual(["Premier", "Second"]);
    expect(JSON.stringify(queue)).not.toContain("secret");
  });
});

describe("a manual channel", () => {
  it("is marked published by hand with the post's address, and the contributor is told", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "manual", name: "Instagram" });
    const c = await publishable();
    const p = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    expect(await refusal(markPublishedByHand(db(), actor, p.id, "javascript:alert(1)"))).toMatch(/Adresse invalide/);
    await markPublishedByHand(db(), actor, p.id, "https://www.instagram.com/p/ABC123/");
    expect(await publicationRow(p.id)).toMatchObject({ state: "published", remote_url: "https://www.instagram.com/p/ABC123/" });
    expect(await deliveryJob(p.id)).toBeNull();
    const note = await db().selectFrom("notification").selectAll().where("user_id", "=", c.author.id).where("kind", "=", "published").executeTakeFirstOrThrow();
    expect(note.data).toMatchObject({ channel: "Instagram", url: "https://www.instagram.com/p/ABC123/" });
    expect(tFor("fr")("notifications.kinds.published", { ...note.data })).toBe("« Fête du quartier au centre culturel » est publiée sur Instagram.");

    const feed = await channel(actor, { kind: "feed" });
    const other = await createPublication(db(), actor, { contributionId: c.id, channelId: feed.id });
    expect(await refusal(markPublishedByHand(db(), actor, other.id, "https://example.org/"))).toMatch(/canal manuel/);
  });
});
