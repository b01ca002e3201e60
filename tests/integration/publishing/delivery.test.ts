import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { flagExpiredRights, withdrawRights } from "~/photos/rights.server";
import { createChannel } from "~/publishing/channels.server";
import { deliverPublication, WATCHDOG_MS } from "~/publishing/delivery.server";
import { createPublication, retryPublication } from "~/publishing/queue.server";
import { startBluesky, type BlueskyStandin } from "../../standins/bluesky";
import { startMastodon, type MastodonStandin } from "../../standins/mastodon";
import { startWebhookReceiver, type WebhookReceiver } from "../../standins/webhook-receiver";
import { channel, comms, deliveryJob, publicationRow, publishable, runDeliveryNow, runDueJobs } from "./fixtures";

let mastodon: MastodonStandin;
let bluesky: BlueskyStandin;

beforeAll(async () => {
  mastodon = await startMastodon();
  bluesky = await startBluesky();
});
afterAll(async () => {
  await mastodon.close();
  await bluesky.close();
});

type Actor = Awaited<ReturnType<typeof comms>>["actor"];

/** A publication of a fresh contribution on `channelId`, due now (its time just passed). */
async function due(actor: Actor, channelId: number, options: { title?: string } = {}) {
  const c = await publishable({ title: options.title ?? `Concert ${Math.random().toString(36).slice(2, 8)}` });
  const made = await createPublication(db(), actor, { contributionId: c.id, channelId });
  await db().updateTable("publication").set({ scheduled_at: sql`now() - interval '1 second' * ${made.id}` }).where("id", "=", made.id).execute();
  return { ...made, contribution: c };
}

async function mastodonChannel(actor: Actor) {
  return channel(actor, { kind: "mastodon", instanceUrl: mastodon.url, accessToken: mastodon.token });
}

describe("delivery to Mastodon", () => {
  it("posts once with its media, alt text and Idempotency-Key, stores the URL and tells the contributor", async () => {
    const { actor } = await comms();
    const ch = await mastodonChannel(actor);
    const p = await due(actor, ch.id);
    const before = mastodon.statuses.length;
    await runDeliveryNow(p.id);

    expect(mastodon.statuses.length).toBe(before + 1);
    const status = mastodon.statuses.at(-1)!;
    const row = await publicationRow(p.id);
    expect(status.text).toBe(row.text);
    expect(mastodon.calls("POST /api/v1/statuses").at(-1)!.headers["idempotency-key"]).toBe(row.idempotency_key);
    const media = mastodon.media.get(status.mediaIds[0])!;
    expect(media).toMatchObject({ description: "Des enfants dansent sur la place", mimeType: "image/jpeg" });
    expect(media.focus).toMatch(/^-?[01](\.\d+)?,-?[01](\.\d+)?$/);
    expect(row).toMatchObject({ state: "published", remote_url: status.url, attempts: 1, last_error: null });
    expect(await deliveryJob(p.id)).toBeNull();

    const notes = await db().selectFrom("notification").selectAll().where("user_id", "=", p.contribution.author.id).where("kind", "=", "published").execute();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ link: `/contributions/${p.contribution.id}` });
    const { name } = await db().selectFrom("channel").select("name").where("id", "=", ch.id).executeTakeFirstOrThrow();
    expect(notes[0].data).toMatchObject({ channel: name, url: status.url });
  });

  it("after 500 three times then 200, has made exactly one post in four attempts, each after its delay", async () => {
    const { actor } = await comms();
    const ch = await mastodonChannel(actor);
    const p = await due(actor, ch.id);
    mastodon.fail("POST /api/v1/statuses", { status: 500, body: { error: "Erreur interne" } }, 3);
    const before = mastodon.statuses.length;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const started = Date.now();
      await runDeliveryNow(p.id);
      const row = await publicationRow(p.id);
      expect(row).toMatchObject({ state: "scheduled", attempts: attempt });
      expect(row.last_error).toMatch(/HTTP 500/);
      // The schedule's delay (5 s, 30 s, 2 min, ± 20 %) before the next try.
      const job = await deliveryJob(p.id);
      expect(job!.runAt.getTime() - started).toBeGreaterThanOrEqual([4_000, 24_000, 96_000][attempt - 1]);
    }
    await runDeliveryNow(p.id);
    expect(mastodon.statuses.length).toBe(before + 1);
    expect(await publicationRow(p.id)).toMatchObject({ state: "published", attempts: 4 });
    const keys = new Set(mastodon.calls("POST /api/v1/statuses").slice(-4).map((r) => r.headers["idempotency-key"]));
    expect(keys.size).toBe(1);
  });

  it("does not retry a 422, shows the network's message, and the retry button re-queues with the same key", async () => {
    const { actor } = await comms();
    const ch = await mastodonChannel(actor);
    const p = await due(actor, ch.id);
    mastodon.fail("POST /api/v1/statuses", { status: 422, body: { error: "Validation failed: Text is reserved" } });
    const before = mastodon.statuses.length;
    await runDeliveryNow(p.id);
    const failed = await publicationRow(p.id);
    expect(failed).toMatchObject({ state: "failed", attempts: 1, last_error: "HTTP 422 : Validation failed: Text is reserved" });
    expect(await deliveryJob(p.id)).toBeNull();
    expect(mastodon.statuses.length).toBe(before);

    await retryPublication(db(), actor, p.id);
    expect(await deliveryJob(p.id)).not.toBeNull();
    await runDeliveryNow(p.id);
    expect(mastodon.statuses.length).toBe(before + 1);
    expect(mastodon.calls("POST /api/v1/statuses").at(-1)!.headers["idempotency-key"]).toBe(failed.idempotency_key);
    expect((await publicationRow(p.id)).state).toBe("published");
  });

  it("waits until X-RateLimit-Reset after a 429", async () => {
    const { actor } = await comms();
    const ch = await mastodonChannel(actor);
    const p = await due(actor, ch.id);
    const reset = new Date(Date.now() + 10 * 60_000);
    mastodon.fail("POST /api/v1/statuses", { status: 429, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset.toISOString() }, body: { error: "Too many requests" } });
    await runDeliveryNow(p.id);
    expect(await publicationRow(p.id)).toMatchObject({ state: "scheduled", attempts: 1 });
    expect((await deliveryJob(p.id))!.runAt.getTime()).toBeGreaterThanOrEqual(reset.getTime());
  });

  it("does nothing while another worker holds the publication, and re-arms its watchdog", async () => {
    const { actor } = await comms();
    const ch = await mastodonChannel(actor);
    const p = await due(actor, ch.id);
    const before = mastodon.statuses.length;
    const other = await db().connection().execute(async (conn) => {
      await sql`SELECT pg_advisory_lock(${0x50554231}::int, ${p.id}::int)`.execute(conn);
      const run = await deliverPublication(db(), p.id);
      await sql`SELECT pg_advisory_unlock(${0x50554231}::int, ${p.id}::int)`.execute(conn);
      return run;
    });
    expect(other.kind).toBe("skipped");
    expect(mastodon.statuses.length).toBe(before);
    expect((await deliveryJob(p.id))!.runAt.getTime()).toBeGreaterThan(Date.now() + WATCHDOG_MS - 5_000);
  });
});

describe("delivery to Bluesky", () => {
  it("writes one record at the stored key with images under 1,000,000 bytes, their alt text and aspect ratio; a repeat lands on the same record", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "bluesky", service: bluesky.url, identifier: bluesky.handle, appPassword: bluesky.appPassword });
    const p = await due(actor, ch.id);
    await runDeliveryNow(p.id);
    const row = await publicationRow(p.id);
    expect(row.state).toBe("published");
    const record = bluesky.records.get(row.bluesky_rkey!)!;
    expect(record.value.text).toBe(row.text);
    const image = record.value.embed.images[0];
    expect(image.alt).toBe("Des enfants dansent sur la place");
    expect(image.aspectRatio.width / image.aspectRatio.height).toBeCloseTo(4 / 5, 1);
    expect([...bluesky.blobs.values()].every((b) => b.size <= 1_000_000)).toBe(true);
    expect(row.remote_url).toBe(`https://bsky.app/profile/${bluesky.did}/post/${row.bluesky_rkey}`);

    // A worker that died after the PDS wrote the record: the next try writes the same record.
    await db().updateTable("publication").set({ state: "publishing" }).where("id", "=", p.id).execute();
    await deliverPublication(db(), p.id);
    expect([...bluesky.records.values()].filter((r) => r.value.text === row.text)).toHaveLength(1);
    expect(bluesky.records.get(row.bluesky_rkey!)!.writes).toBe(1);
  });
});

describe("delivery to a webhook", () => {
  let receiver: WebhookReceiver;
  afterAll(async () => receiver?.close());

  it("sends a signed message the standardwebhooks package verifies; a 410 disables the channel and tells comms", async () => {
    const { actor, id: commsId } = await comms();
    const placeholder = await createChannel(db(), actor, { kind: "webhook", name: "Site web", slug: "site-web", url: "https://example.org/hook" });
    receiver = await startWebhookReceiver({ secret: placeholder.webhookSecret!, answerUrl: "https://example.org/actualites/42" });
    await db().updateTable("channel").set({ settings: JSON.stringify({ url: `${receiver.url}/hook` }) }).where("id", "=", placeholder.id).execute();

    const p = await due(actor, placeholder.id);
    await runDeliveryNow(p.id);
    const row = await publicationRow(p.id);
    expect(row).toMatchObject({ state: "published", remote_url: "https://example.org/actualites/42" });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].id).toBe(row.idempotency_key);
    expect(receiver.received[0].payload).toMatchObject({ type: "publication.published", data: { text: row.text } });
    const [image] = (receiver.received[0].payload.data as { images: { base64: string; alt: string; mimeType: string }[] }).images;
    expect(image).toMatchObject({ alt: "Des enfants dansent sur la place", mimeType: "image/jpeg" });
    expect(Buffer.from(image.base64, "base64").subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

    receiver.fail({ status: 410, body: { error: "gone" } });
    const second = await due(actor, placeholder.id);
    await runDeliveryNow(second.id);
    expect(await publicationRow(second.id)).toMatchObject({ state: "failed" });
    const ch = await db().selectFrom("channel").select(["enabled", "disabled_reason"]).where("id", "=", placeholder.id).executeTakeFirstOrThrow();
    expect(ch.enabled).toBe(false);
    expect(ch.disabled_reason).toMatch(/410/);
    const alert = await db().selectFrom("notification").selectAll().where("user_id", "=", commsId).where("kind", "=", "channel_disabled").execute();
    expect(alert).toHaveLength(1);
    expect(alert[0].link).toBe(`/publishing/channels/${placeholder.id}`);
  });
});

describe("image rights", () => {
  it("a withdrawn right holds the publications using the photo, with the reason; nothing held is delivered", async () => {
    const { actor } = await comms();
    const ch = await mastodonChannel(actor);
    const p = await due(actor, ch.id);
    const [photoId] = p.contribution.photoIds;
    await db().updateTable("photo").set({ rights_status: "authorised", rights_scope: "external" }).where("id", "=", photoId).execute();
    const before = mastodon.statuses.length;

    await withdrawRights(db(), actor, p.contribution.id, photoId);
    await runDueJobs();
    const row = await publicationRow(p.id);
    expect(row).toMatchObject({ state: "held", held_reason: "Photo 1 : autorisation retirée" });
    await deliverPublication(db(), p.id);
    expect(mastodon.statuses.length).toBe(before);
  });

  it("the hourly expiry pass holds the publications using an expired photo, with the reason", async () => {
    const { actor } = await comms();
    const ch = await mastodonChannel(actor);
    const p = await due(actor, ch.id);
    await db().updateTable("photo").set({ rights_status: "authorised", rights_scope: "external", rights_expires_on: "2021-06-30" }).where("id", "=", p.contribution.photoIds[0]).execute();
    expect(await flagExpiredRights(db())).toBeGreaterThanOrEqual(1);
    await db().updateTable("publication").set({ scheduled_at: sql`now() + interval '1 day'` }).where("id", "=", p.id).execute();
    await runDueJobs();
    expect(await publicationRow(p.id)).toMatchObject({ state: "held", held_reason: "Photo 1 : autorisation expirée" });
  });

  it("delivery itself holds a publication whose photo's right expired, even before any hold job ran", async () => {
    const { actor } = await comms();
    const ch = await mastodonChannel(actor);
    const p = await due(actor, ch.id);
    await db().updateTable("photo").set({ rights_status: "authorised", rights_scope: "external", rights_expires_on: "2020-01-01" }).where("id", "=", p.contribution.photoIds[0]).execute();
    const before = mastodon.statuses.length;
    const run = await deliverPublication(db(), p.id);
    expect(run).toEqual({ kind: "held", reason: "Photo 1 : autorisation expirée" });
    expect(mastodon.statuses.length).toBe(before);
    expect((await publicationRow(p.id)).state).toBe("held");
  });
});

describe("a channel whose secret no longer opens", () => {
  it("fails the publication with a message saying to enter the secret again, and sends nothing", async () => {
    const { actor } = await comms();
    const ch = await mastodonChannel(actor);
    const p = await due(actor, ch.id);
    const other = await mastodonChannel(actor);
    // The sealed value of another channel: authenticated with that channel's id, it does not open here.
    const { secret_sealed } = await db().selectFrom("channel").select("secret_sealed").where("id", "=", other.id).executeTakeFirstOrThrow();
    await db().updateTable("channel").set({ secret_sealed }).where("id", "=", ch.id).execute();
    const before = mastodon.requests.length;
    await runDeliveryNow(p.id);
    const row = await publicationRow(p.id);
    expect(row.state).toBe("failed");
    expect(row.last_error).toMatch(/Saisissez à nouveau le secret du canal/);
    expect(mastodon.requests.length).toBe(before);
  });
});

describe("a feed channel", () => {
  it("is delivered by being marked published at its time, with its crops' sizes kept for the feed", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed" });
    const p = await due(actor, ch.id);
    await runDeliveryNow(p.id);
    expect(await publicationRow(p.id)).toMatchObject({ state: "published", remote_url: null });
    const photo = await db().selectFrom("publication_photo").selectAll().where("publication_id", "=", p.id).executeTakeFirstOrThrow();
    expect(photo.bytes).toBeGreaterThan(0);
    expect(photo.width! / photo.height!).toBeCloseTo(1.91, 1);
  });
});
