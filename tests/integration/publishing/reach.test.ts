import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { newTid } from "~/publishing/bluesky.server";
import { createPublication } from "~/publishing/queue.server";
import { fetchDueReach, nextReachFetch } from "~/publishing/reach.server";
import * as contributionPage from "~/routes/contributions.$id._index";
import * as my from "~/routes/my";
import * as publicationPage from "~/routes/publishing.$id";
import * as channelReachPage from "~/routes/publishing.channels.$id_.reach";
import { context, get, makeUser, newDraft, outcome, run, signedIn } from "../../factories";
import { THANKERS_SHOWN } from "~/contributions/comments.server";
import { startBluesky, type BlueskyStandin } from "../../standins/bluesky";
import { startMastodon, type MastodonStandin } from "../../standins/mastodon";
import { channel, comms, publishable } from "./fixtures";
import { unpack } from "~/utils/packed";

// The reach job against the networks' stand-ins (figures read and stored, a 429 waits, a deleted
// post and a post past 30 days stop being read), and who sees the figures.

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

const HOUR = 3600_000;
const DAY = 24 * HOUR;
type Actor = Awaited<ReturnType<typeof comms>>["actor"];

/** A contribution published on the channel at `publishedAt` as the post `remoteId`. */
async function published(actor: Actor, channelId: number, remoteId: string, publishedAt: Date, options: { title?: string; url?: string } = {}) {
  const c = await publishable({ photos: 0, title: options.title ?? `Concert ${Math.random().toString(36).slice(2, 8)}` });
  const made = await createPublication(db(), actor, { contributionId: c.id, channelId, photos: [], schedule: false });
  await db()
    .updateTable("publication")
    .set({ state: "published", remote_id: remoteId, remote_url: options.url ?? `https://social.example/${remoteId}`, published_at: publishedAt })
    .where("id", "=", made.id)
    .execute();
  return { id: made.id, contribution: c };
}

/** A status on the Mastodon stand-in with these figures. */
function status(reblogs: number, favourites: number, replies: number) {
  const s = mastodon.addStatus(`Publication ${Math.random()}`, new Date());
  Object.assign(s, { reblogs, favourites, replies });
  return s;
}

const reachRow = (publicationId: number) => db().selectFrom("publication_reach").selectAll().where("publication_id", "=", publicationId).executeTakeFirst();
const statusReads = (id: string) => mastodon.requests.filter((r) => r.route === "GET /api/v1/statuses/:id" && r.path === `/api/v1/statuses/${id}`).length;

describe("reading the reach", () => {
  it("follows a post hourly its first day, daily after, up to 30 days", () => {
    const at = new Date("2026-12-01T18:00:00Z");
    expect(nextReachFetch(at, new Date(at.getTime() + 2 * HOUR))!.getTime()).toBe(at.getTime() + 3 * HOUR - 5 * 60_000);
    expect(nextReachFetch(at, new Date(at.getTime() + 3 * DAY))!.getTime()).toBe(at.getTime() + 4 * DAY - 5 * 60_000);
    // The last read is at the end of the 30 days, and none after.
    expect(nextReachFetch(at, new Date(at.getTime() + 29.5 * DAY))!.getTime()).toBe(at.getTime() + 30 * DAY);
    expect(nextReachFetch(at, new Date(at.getTime() + 30 * DAY))).toBeNull();
  });

  it("reads a Mastodon post's boosts, favourites and replies and stores them with the time", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "mastodon", instanceUrl: mastodon.url, accessToken: mastodon.token });
    const young = status(12, 30, 2);
    const old = status(4, 5, 0);
    const now = new Date();
    const p1 = await published(actor, ch.id, young.id, new Date(now.getTime() - 2 * HOUR));
    const p2 = await published(actor, ch.id, old.id, new Date(now.getTime() - 3 * DAY));

    await fetchDueReach(db(), { now });
    expect(await reachRow(p1.id)).toMatchObject({ shares: 12, likes: 30, replies: 2, quotes: null, fetched_at: now, failures: 0, stopped: null });
    expect(await reachRow(p2.id)).toMatchObject({ shares: 4, likes: 5, replies: 0, fetched_at: now });
    // Next read: in an hour the first day, in a day after.
    expect((await reachRow(p1.id))!.next_fetch_at).toEqual(nextReachFetch(new Date(now.getTime() - 2 * HOUR), now));
    expect((await reachRow(p2.id))!.next_fetch_at!.getTime() - now.getTime()).toBeGreaterThan(23 * HOUR);
    const call = mastodon.requests.find((r) => r.path === `/api/v1/statuses/${young.id}`)!;
    expect(call.headers.authorization).toBe(`Bearer ${mastodon.token}`);

    // Not due again before its time: no request.
    young.reblogs = 13;
    await fetchDueReach(db(), { now: new Date(now.getTime() + 10 * 60_000) });
    expect(statusReads(young.id)).toBe(1);
    const later = new Date(now.getTime() + HOUR);
    await fetchDueReach(db(), { now: later });
    expect(statusReads(young.id)).toBe(2);
    expect(await reachRow(p1.id)).toMatchObject({ shares: 13, fetched_at: later });
    expect(statusReads(old.id)).toBe(1);
  });

  it("reads Bluesky posts 25 at a time (reposts, likes, replies, quotes); a post missing from the answer stops being read", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "bluesky", service: bluesky.url, identifier: bluesky.handle, appPassword: bluesky.appPassword });
    const now = new Date();
    const posts: { rkey: string; uri: string; p: Awaited<ReturnType<typeof published>> }[] = [];
    for (let i = 0; i < 27; i++) {
      const rkey = newTid(new Date(now.getTime() - i * 1000));
      const uri = `at://${bluesky.did}/app.bsky.feed.post/${rkey}`;
      bluesky.records.set(rkey, { uri, cid: `bafyrei${i}`, rkey, value: { $type: "app.bsky.feed.post", text: `Post ${i}`, createdAt: now.toISOString() }, writes: 1, counts: { reposts: i, likes: 2 * i, replies: 1, quotes: 3 } });
      posts.push({ rkey, uri, p: await published(actor, ch.id, uri, new Date(now.getTime() - 5 * HOUR)) });
    }
    // Deleted from the network before the first read.
    bluesky.records.delete(posts[0].rkey);
    const before = bluesky.calls("GET /xrpc/app.bsky.feed.getPosts").length;

    await fetchDueReach(db(), { now });
    const calls = bluesky.calls("GET /xrpc/app.bsky.feed.getPosts").slice(before);
    expect(calls).toHaveLength(2);
    expect(new URL(calls[0].path, "http://x").searchParams.getAll("uris")).toHaveLength(25);
    expect(await reachRow(posts[5].p.id)).toMatchObject({ shares: 5, likes: 10, replies: 1, quotes: 3, fetched_at: now, stopped: null });
    expect(await reachRow(posts[26].p.id)).toMatchObject({ shares: 26, likes: 52 });
    expect(await reachRow(posts[0].p.id)).toMatchObject({ shares: null, fetched_at: null, next_fetch_at: null, stopped: "gone" });

    // The gone post is not asked for again.
    await fetchDueReach(db(), { now: new Date(now.getTime() + 2 * HOUR) });
    const asked = bluesky.calls("GET /xrpc/app.bsky.feed.getPosts").slice(before).flatMap((c) => new URL(c.path, "http://x").searchParams.getAll("uris"));
    expect(asked.filter((u) => u === posts[0].uri)).toHaveLength(1);
    expect(asked.filter((u) => u === posts[1].uri)).toHaveLength(2);
  });

  it("on a 429 waits until X-RateLimit-Reset, and asks nothing more of that instance in the run", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "mastodon", instanceUrl: mastodon.url, accessToken: mastodon.token });
    const now = new Date();
    const first = status(1, 1, 1);
    const second = status(2, 2, 2);
    const p1 = await published(actor, ch.id, first.id, new Date(now.getTime() - 3 * HOUR));
    const p2 = await published(actor, ch.id, second.id, new Date(now.getTime() - 2 * HOUR));
    await fetchDueReach(db(), { now: new Date(now.getTime() - 1000) });
    // Due again.
    await db().updateTable("publication_reach").set({ next_fetch_at: now }).where("publication_id", "in", [p1.id, p2.id]).execute();
    const reset = new Date(now.getTime() + 2 * HOUR);
    reset.setMilliseconds(0);
    mastodon.fail("GET /api/v1/statuses/:id", { status: 429, headers: { "x-ratelimit-limit": "300", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset.toISOString() }, body: { error: "Too many requests" } });
    const readsBefore = statusReads(first.id) + statusReads(second.id);
    first.reblogs = 50;

    await fetchDueReach(db(), { now });
    expect(statusReads(first.id) + statusReads(second.id)).toBe(readsBefore + 1);
    const limited = [await reachRow(p1.id), await reachRow(p2.id)].find((r) => r!.failures === 1)!;
    expect(limited.next_fetch_at).toEqual(reset);
    expect(limited.last_error).toMatch(/HTTP 429/);
    // The figures read before are kept.
    expect(limited.shares).not.toBeNull();
    // The other one was left due for the next run.
    const other = [await reachRow(p1.id), await reachRow(p2.id)].find((r) => r!.failures === 0)!;
    expect(other.next_fetch_at).toEqual(now);

    // An hour later the other is read; the limited one still waits for its reset.
    await fetchDueReach(db(), { now: new Date(now.getTime() + HOUR) });
    expect(statusReads(first.id) + statusReads(second.id)).toBe(readsBefore + 2);
    await fetchDueReach(db(), { now: new Date(reset.getTime() + 1000) });
    expect(await reachRow(limited.publication_id)).toMatchObject({ failures: 0, last_error: null });
    expect((await reachRow(p1.id))!.shares).toBe(50);
  });

  it("stops reading a deleted status (404)", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "mastodon", instanceUrl: mastodon.url, accessToken: mastodon.token });
    const now = new Date();
    const s = status(3, 3, 3);
    const p = await published(actor, ch.id, s.id, new Date(now.getTime() - 3 * HOUR));
    await fetchDueReach(db(), { now });
    expect(await reachRow(p.id)).toMatchObject({ shares: 3 });
    mastodon.statuses.splice(mastodon.statuses.indexOf(s), 1);

    await fetchDueReach(db(), { now: new Date(now.getTime() + HOUR) });
    // The last figures stay; reads stop.
    expect(await reachRow(p.id)).toMatchObject({ shares: 3, next_fetch_at: null, stopped: "gone" });
    await fetchDueReach(db(), { now: new Date(now.getTime() + 3 * DAY) });
    expect(statusReads(s.id)).toBe(2);
  });

  it("reads a last time at the end of the 30 days and then stops; a post older than that is never read", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "mastodon", instanceUrl: mastodon.url, accessToken: mastodon.token });
    const now = new Date();
    const ending = status(7, 7, 7);
    const tooOld = status(9, 9, 9);
    const p = await published(actor, ch.id, ending.id, new Date(now.getTime() - 30 * DAY + 10 * 60_000));
    const old = await published(actor, ch.id, tooOld.id, new Date(now.getTime() - 31 * DAY));

    await fetchDueReach(db(), { now });
    expect(await reachRow(p.id)).toMatchObject({ shares: 7, stopped: null });
    expect(await reachRow(old.id)).toBeUndefined();
    ending.reblogs = 8;
    await fetchDueReach(db(), { now: new Date(now.getTime() + 11 * 60_000) });
    expect(await reachRow(p.id)).toMatchObject({ shares: 8, next_fetch_at: null, stopped: "ended" });
    await fetchDueReach(db(), { now: new Date(now.getTime() + 2 * DAY) });
    expect(statusReads(ending.id)).toBe(2);
    expect(statusReads(tooOld.id)).toBe(0);
  });
});

describe("who sees the reach", () => {
  it("the author sees the figures on their item and in 'mes contributions'; another agent sees where it ran, without figures", async () => {
    const { actor, cookie: commsCookie } = await comms();
    const ch = await channel(actor, { kind: "mastodon", instanceUrl: mastodon.url, accessToken: mastodon.token });
    const now = new Date();
    const s = status(12, 30, 2);
    const p = await published(actor, ch.id, s.id, new Date(now.getTime() - 3 * HOUR), { url: s.url });
    await fetchDueReach(db(), { now });
    const { id: contributionId, author } = p.contribution;

    const own = await contributionPage.loader({ request: get(`/contributions/${contributionId}`, author.cookie), params: { id: String(contributionId) }, context });
    expect(own.published).toEqual([expect.objectContaining({ url: s.url, reach: expect.objectContaining({ shares: 12, likes: 30, replies: 2 }) })]);

    const colleague = await signedIn("agent", p.contribution.departmentId);
    const theirs = await contributionPage.loader({ request: get(`/contributions/${contributionId}`, colleague.cookie), params: { id: String(contributionId) }, context });
    expect(theirs.published).toHaveLength(1);
    expect(theirs.published[0].url).toBe(s.url);
    expect(theirs.published[0]).not.toHaveProperty("reach");
    expect(JSON.stringify(theirs)).not.toMatch(/"shares"|"likes"/);

    const forComms = await contributionPage.loader({ request: get(`/contributions/${contributionId}`, commsCookie), params: { id: String(contributionId) }, context });
    expect(forComms.published[0].reach).toMatchObject({ shares: 12 });

    // 'Mes contributions': the decision and its comment, where and when it ran with its reach, who said thanks.
    await db().insertInto("contribution_event").values({ contribution_id: contributionId, actor_id: actor.id, kind: "approved", message: "Très belles photos, merci !" }).execute();
    await db().insertInto("thanks").values({ contribution_id: contributionId, user_id: colleague.id, created_at: new Date(now.getTime() - 60_000) }).execute();
    // Another of the author's items, on the same page: what became of one item stays on its card.
    const other = await newDraft(author.cookie, { title: "Un autre texte" });
    const mine = await my.loader({ request: get("/my", author.cookie), params: {}, context });
    const item = unpack(mine.items).find((i) => i.id === contributionId)!;
    expect(item.last_decision).toEqual({ kind: "approved", message: "Très belles photos, merci !" });
    expect(item.published).toEqual([expect.objectContaining({ url: s.url, reach: expect.objectContaining({ shares: 12, likes: 30, replies: 2 }) })]);
    expect(new Date(item.published[0].publishedAt).getTime()).toBe(now.getTime() - 3 * HOUR);
    const { display_name } = await db().selectFrom("app_user").select("display_name").where("id", "=", colleague.id).executeTakeFirstOrThrow();
    expect(item.thankers).toEqual([display_name]);
    // The other item: nothing published, nobody thanked, no decision.
    const draft = unpack(mine.items).find((i) => i.id === other)!;
    expect([draft.published, draft.thankers, draft.last_decision, draft.thanks_count]).toEqual([[], [], null, 0]);

    // Many thanks: the first names, in the order they came; the others are counted by the page.
    for (let i = 0; i < THANKERS_SHOWN + 2; i++) {
      const someone = await makeUser("agent", p.contribution.departmentId);
      await db().insertInto("thanks").values({ contribution_id: contributionId, user_id: someone.id }).execute();
    }
    const many = unpack((await my.loader({ request: get("/my", author.cookie), params: {}, context })).items).find((i) => i.id === contributionId)!;
    expect(many.thankers).toHaveLength(THANKERS_SHOWN);
    expect(many.thankers[0]).toBe(display_name);
    expect(many.thanks_count).toBe(THANKERS_SHOWN + 3);
  });

  it("the publication page and the channel summary are for comms: agents and managers get 403, an unknown channel 404", async () => {
    const { actor, cookie } = await comms();
    const ch = await channel(actor, { kind: "mastodon", instanceUrl: mastodon.url, accessToken: mastodon.token });
    const now = new Date();
    const s = status(5, 6, 7);
    const p = await published(actor, ch.id, s.id, new Date(now.getTime() - 3 * HOUR), { title: "Atelier de sérigraphie" });
    await fetchDueReach(db(), { now });

    const page = await publicationPage.loader({ request: get(`/publishing/${p.id}`, cookie), params: { id: String(p.id) }, context });
    expect(page.reach).toMatchObject({ figures: { shares: 5, likes: 6, replies: 7 } });
    const summary = await channelReachPage.loader({ request: get(`/publishing/channels/${ch.id}/reach`, cookie), params: { id: String(ch.id) }, context });
    expect(summary.items).toEqual([expect.objectContaining({ publicationId: p.id, title: "Atelier de sérigraphie", reach: expect.objectContaining({ shares: 5, likes: 6, replies: 7 }) })]);
    // Subjects, not people: no author in the summary.
    expect(JSON.stringify(summary)).not.toContain(p.contribution.author.name);

    for (const role of ["agent", "manager"] as const) {
      const who = await signedIn(role);
      expect(outcome(await run(() => channelReachPage.loader({ request: get(`/publishing/channels/${ch.id}/reach`, who.cookie), params: { id: String(ch.id) }, context }))).status).toBe(403);
      expect(outcome(await run(() => publicationPage.loader({ request: get(`/publishing/${p.id}`, who.cookie), params: { id: String(p.id) }, context }))).status).toBe(403);
    }
    expect(outcome(await run(() => channelReachPage.loader({ request: get("/publishing/channels/999999/reach", cookie), params: { id: "999999" }, context }))).status).toBe(404);
    expect(outcome(await run(() => channelReachPage.loader({ request: get("/publishing/channels/abc/reach", cookie), params: { id: "abc" }, context }))).status).toBe(404);
  });
});
