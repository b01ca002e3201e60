import { sql } from "kysely";
import type { Actor } from "~/auth/actor";
import type { DB } from "~/db.server";
import { createSession, type BlueskySession } from "./bluesky.server";
import { assertPublisher, channelForDelivery } from "./channels.server";
import { classify, DeliveryError, jsonOf, send, type Answer, type Outcome } from "./http.server";
import { SecretError } from "./secrets.server";

/*
 * The reach of what was published on Mastodon and Bluesky: shares, likes and replies, read from
 * each network for 30 days after posting and kept (latest figures only) in publication_reach.
 *
 * The fetch_reach job runs hourly and reads at most BATCH posts whose next read is due: hourly
 * the first day (when most of a post's life happens), daily after. Networks' limits are kept:
 * Mastodon allows 300 requests per 5 minutes per token, and a channel gets at most
 * PER_CHANNEL of them per run; Bluesky's getPosts reads 25 posts per request. A 429 (or a
 * nearly spent X-RateLimit-Remaining) ends the channel's run, and the post waits until the time
 * the network gave; an instance that does not answer is left for the next run. A post the
 * network no longer has (deleted: Mastodon's 404, missing from Bluesky's answer) stops being read.
 *
 * These are figures about posts, never about people: nothing here ranks contributors.
 */

export const REACH_DAYS = 30;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Posts read per run, all channels together. */
export const BATCH = 500;
/** Mastodon requests per channel per run: a third of the 300 per 5 minutes a token may make. */
const PER_CHANNEL = 100;
/** app.bsky.feed.getPosts: uris maxLength. */
const BLUESKY_URIS_PER_CALL = 25;
/** The cron runs at a fixed minute: a read due a few minutes after it would wait an extra hour. */
const MARGIN = 5 * 60_000;

export interface ReachFigures {
  shares: number;
  likes: number;
  replies: number;
  /** Bluesky's quote posts (and Mastodon's, on instances that count them); null when not counted. */
  quotes: number | null;
}

/**
 * When to read a post's figures next, after a read at `now`: an hour later during its first day,
 * a day later after that, and a last time at the end of the 30 days; null once they are over.
 */
export function nextReachFetch(publishedAt: Date, now: Date): Date | null {
  const end = publishedAt.getTime() + REACH_DAYS * DAY;
  if (now.getTime() >= end) return null;
  const step = now.getTime() - publishedAt.getTime() < DAY ? HOUR : DAY;
  return new Date(Math.min(now.getTime() + step - MARGIN, end));
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** A read of one post: its figures, gone (deleted), or the network's refusal (retry later or not). */
type Read = { kind: "figures"; figures: ReachFigures } | { kind: "gone" } | Exclude<Outcome, { kind: "ok" } | { kind: "duplicate" }>;

/** Fewer requests left than this in the token's window: the channel stops for this run. */
const LOW_REMAINING = 2;

function spent(answer: Answer): boolean {
  const remaining = answer.headers.get("x-ratelimit-remaining") ?? answer.headers.get("ratelimit-remaining");
  return remaining !== null && /^\d+$/.test(remaining.trim()) && Number(remaining) < LOW_REMAINING;
}

/** One status's figures (`GET /api/v1/statuses/:id`): reblogs, favourites, replies. */
export async function readMastodonStatus(instanceUrl: string, accessToken: string, statusId: string, now: Date = new Date()): Promise<{ read: Read; spent: boolean }> {
  const answer = await send(`${instanceUrl.replace(/\/+$/, "")}/api/v1/statuses/${encodeURIComponent(statusId)}`, {
    headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
  });
  if (answer.status === 404 || answer.status === 410) return { read: { kind: "gone" }, spent: spent(answer) };
  const outcome = classify(answer, { now });
  if (outcome.kind === "retry" || outcome.kind === "permanent") return { read: outcome, spent: spent(answer) };
  const status = jsonOf(answer) as Record<string, unknown> | undefined;
  if (!status || !isCount(status.reblogs_count) || !isCount(status.favourites_count) || !isCount(status.replies_count)) {
    return { read: { kind: "retry", reason: "Réponse de l'instance sans compteurs." }, spent: spent(answer) };
  }
  return {
    read: {
      kind: "figures",
      figures: { shares: status.reblogs_count, likes: status.favourites_count, replies: status.replies_count, quotes: isCount(status.quotes_count) ? status.quotes_count : null },
    },
    spent: spent(answer),
  };
}

/**
 * Figures of up to 25 posts by their at:// URIs (`app.bsky.feed.getPosts`, through the account's
 * PDS, which hands it to the AppView). A post missing from the answer is gone. Throws a
 * DeliveryError when the whole request fails.
 */
export async function readBlueskyPosts(session: BlueskySession, uris: string[], now: Date = new Date()): Promise<{ reads: Map<string, Read>; spent: boolean }> {
  const query = new URLSearchParams(uris.map((uri) => ["uris", uri]));
  const answer = await send(`${session.service.replace(/\/+$/, "")}/xrpc/app.bsky.feed.getPosts?${query}`, {
    headers: { authorization: `Bearer ${session.accessJwt}`, accept: "application/json" },
    maxBytes: 4_000_000,
  });
  const outcome = classify(answer, { now });
  if (outcome.kind === "retry" || outcome.kind === "permanent") throw new DeliveryError(outcome);
  const posts = (jsonOf(answer) as { posts?: unknown } | undefined)?.posts;
  if (!Array.isArray(posts)) throw new DeliveryError({ kind: "retry", reason: "Réponse de Bluesky sans publications." });
  const reads = new Map<string, Read>(uris.map((uri) => [uri, { kind: "gone" }]));
  for (const post of posts as Record<string, unknown>[]) {
    if (typeof post?.uri !== "string" || !reads.has(post.uri)) continue;
    const count = (v: unknown) => (isCount(v) ? v : 0);
    reads.set(post.uri, {
      kind: "figures",
      figures: { shares: count(post.repostCount), likes: count(post.likeCount), replies: count(post.replyCount), quotes: count(post.quoteCount) },
    });
  }
  return { reads, spent: spent(answer) };
}

interface Due {
  publicationId: number;
  remoteId: string;
  publishedAt: Date;
}

export interface ReachRun {
  read: number;
  gone: number;
  failed: number;
  /** Channels whose run ended early (rate limit, unreachable network). */
  paused: number;
}

/**
 * One run of the fetch_reach job: enrols the posts published on Mastodon and Bluesky in the last
 * 30 days that are not followed yet, then reads the figures of those due (at most `limit`).
 */
export async function fetchDueReach(db: DB, options: { now?: Date; limit?: number } = {}): Promise<ReachRun> {
  const now = options.now ?? new Date();
  await enrolPublished(db, now);
  const rows = await db
    .selectFrom("publication_reach as r")
    .innerJoin("publication as p", "p.id", "r.publication_id")
    .select(["r.publication_id", "p.remote_id", "p.published_at", "p.channel_id"])
    .where("r.next_fetch_at", "<=", now)
    .orderBy("r.next_fetch_at")
    .orderBy("r.publication_id")
    .limit(options.limit ?? BATCH)
    .execute();
  const byChannel = new Map<number, Due[]>();
  for (const r of rows) {
    if (!r.remote_id || !r.published_at) continue;
    const list = byChannel.get(r.channel_id) ?? [];
    list.push({ publicationId: r.publication_id, remoteId: r.remote_id, publishedAt: new Date(r.published_at) });
    byChannel.set(r.channel_id, list);
  }
  const run: ReachRun = { read: 0, gone: 0, failed: 0, paused: 0 };
  for (const [channelId, due] of byChannel) {
    let channel;
    try {
      channel = await channelForDelivery(db, channelId);
    } catch (error) {
      if (!(error instanceof SecretError)) throw error;
      // SECRETS_KEY changed: nothing can be read on this channel until comms enter the secret again.
      await recordFailure(db, due[0], { kind: "permanent", status: 0, message: error.message }, now);
      run.failed++;
      run.paused++;
      continue;
    }
    if (channel?.kind === "mastodon") await readMastodonChannel(db, channel.settings.instanceUrl, channel.secrets.accessToken ?? "", due, now, run);
    else if (channel?.kind === "bluesky") {
      await readBlueskyChannel(db, { service: channel.settings.service, identifier: channel.settings.identifier, appPassword: channel.secrets.appPassword ?? "" }, due, now, run);
    }
  }
  return run;
}

/** Follows the posts published in the last 30 days on Mastodon and Bluesky that have no reach row yet; the first read an hour after posting. */
async function enrolPublished(db: DB, now: Date): Promise<void> {
  await sql`INSERT INTO publication_reach (publication_id, next_fetch_at)
    SELECT p.id, greatest(p.published_at + interval '1 hour' - ${MARGIN} * interval '1 millisecond', ${now}::timestamptz)
    FROM publication p JOIN channel ch ON ch.id = p.channel_id
    WHERE p.state = 'published' AND ch.kind IN ('mastodon', 'bluesky') AND p.remote_id IS NOT NULL
      AND p.published_at > ${now}::timestamptz - ${REACH_DAYS} * interval '1 day'
      AND NOT EXISTS (SELECT 1 FROM publication_reach r WHERE r.publication_id = p.id)
    ON CONFLICT (publication_id) DO NOTHING`.execute(db);
}

async function readMastodonChannel(db: DB, instanceUrl: string, token: string, due: Due[], now: Date, run: ReachRun): Promise<void> {
  for (const item of due.slice(0, PER_CHANNEL)) {
    let result: { read: Read; spent: boolean };
    try {
      result = await readMastodonStatus(instanceUrl, token, item.remoteId, now);
    } catch (error) {
      if (!(error instanceof DeliveryError)) throw error;
      result = { read: error.outcome, spent: false };
    }
    await record(db, item, result.read, now, run);
    // A refusal or an unreachable instance: the rest of the channel waits for the next run.
    if (result.read.kind === "retry" || result.read.kind === "permanent" || result.spent) {
      run.paused++;
      return;
    }
  }
}

async function readBlueskyChannel(db: DB, account: Parameters<typeof createSession>[0], due: Due[], now: Date, run: ReachRun): Promise<void> {
  let session: BlueskySession;
  try {
    session = await createSession(account);
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
    await record(db, due[0], error.outcome, now, run);
    run.paused++;
    return;
  }
  for (let i = 0; i < due.length; i += BLUESKY_URIS_PER_CALL) {
    const chunk = due.slice(i, i + BLUESKY_URIS_PER_CALL);
    try {
      const { reads, spent } = await readBlueskyPosts(session, chunk.map((d) => d.remoteId), now);
      for (const item of chunk) await record(db, item, reads.get(item.remoteId)!, now, run);
      if (spent) {
        run.paused++;
        return;
      }
    } catch (error) {
      if (!(error instanceof DeliveryError)) throw error;
      for (const item of chunk) await record(db, item, error.outcome, now, run);
      run.paused++;
      return;
    }
  }
}

async function record(db: DB, item: Due, read: Read, now: Date, run: ReachRun): Promise<void> {
  if (read.kind === "figures") {
    const next = nextReachFetch(item.publishedAt, now);
    await db
      .updateTable("publication_reach")
      .set({ ...read.figures, fetched_at: now, next_fetch_at: next, stopped: next ? null : "ended", failures: 0, last_error: null })
      .where("publication_id", "=", item.publicationId)
      .execute();
    run.read++;
  } else if (read.kind === "gone") {
    await db
      .updateTable("publication_reach")
      .set({ next_fetch_at: null, stopped: "gone", last_error: null })
      .where("publication_id", "=", item.publicationId)
      .execute();
    run.gone++;
  } else {
    await recordFailure(db, item, read, now);
    run.failed++;
  }
}

/**
 * A failed read: counted, with its message. One worth retrying comes back at the next run, or at
 * the time the network asked for (a 429's reset) if later; a refusal waits for the usual schedule,
 * which also ends the reads after 30 days whatever happens.
 */
async function recordFailure(db: DB, item: Due, outcome: Exclude<Read, { kind: "figures" } | { kind: "gone" }>, now: Date): Promise<void> {
  const scheduled = nextReachFetch(item.publishedAt, now);
  let next = scheduled;
  if (outcome.kind === "retry" && scheduled) {
    // Soon (the next run), unless the network named a later time.
    const soon = Math.min(scheduled.getTime(), now.getTime() + HOUR - MARGIN);
    next = new Date(Math.max(soon, outcome.after?.getTime() ?? 0));
  }
  const message = outcome.kind === "retry" ? outcome.reason : outcome.status ? `HTTP ${outcome.status} : ${outcome.message}` : outcome.message;
  await db
    .updateTable("publication_reach")
    .set({ next_fetch_at: next, stopped: next ? null : "ended", failures: sql`failures + 1`, last_error: message.slice(0, 2000) })
    .where("publication_id", "=", item.publicationId)
    .execute();
}

export interface PublicationReach extends ReachFigures {
  fetchedAt: Date;
}

const figuresOf = (r: { shares: number | null; likes: number | null; replies: number | null; quotes: number | null; fetched_at: Date | string | null }): PublicationReach | null =>
  r.fetched_at === null || r.shares === null || r.likes === null || r.replies === null
    ? null
    : { shares: r.shares, likes: r.likes, replies: r.replies, quotes: r.quotes, fetchedAt: new Date(r.fetched_at) };

/** One publication's reach for comms: its figures (null before the first read) and whether reads go on. */
export async function publicationReach(db: DB, actor: Actor, publicationId: number) {
  assertPublisher(actor);
  const row = await db.selectFrom("publication_reach").selectAll().where("publication_id", "=", publicationId).executeTakeFirst();
  if (!row) return null;
  return {
    figures: figuresOf(row),
    nextFetchAt: row.next_fetch_at ? new Date(row.next_fetch_at) : null,
    stopped: row.stopped,
    lastError: row.last_error,
  };
}

/** How far back the channel summary looks. */
export const CHANNEL_SUMMARY_DAYS = 90;

/**
 * A channel's items published in the last 90 days, newest first, with their figures and the
 * subject's tags (comms and admins; 404 for a channel that does not exist). Which subjects the
 * public shares: no author is named, nothing is ranked.
 */
export async function channelReach(db: DB, actor: Actor, channelId: number, now: Date = new Date()) {
  assertPublisher(actor);
  const channel = await db.selectFrom("channel").select(["id", "name", "kind"]).where("id", "=", channelId).executeTakeFirst();
  if (!channel) throw new Response("Not Found", { status: 404 });
  const rows = await db
    .selectFrom("publication as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .leftJoin("publication_reach as r", "r.publication_id", "p.id")
    .select(["p.id", "p.published_at", "p.remote_url", "c.id as contribution_id", "c.title", "c.tags", "r.shares", "r.likes", "r.replies", "r.quotes", "r.fetched_at", "r.stopped"])
    .where("p.channel_id", "=", channelId)
    .where("p.state", "=", "published")
    .where("p.published_at", ">", new Date(now.getTime() - CHANNEL_SUMMARY_DAYS * DAY))
    .orderBy("p.published_at", "desc")
    .orderBy("p.id", "desc")
    // A channel posting every hour for 90 days stays under it.
    .limit(2500)
    .execute();
  return {
    channel,
    items: rows.map((r) => ({
      publicationId: r.id,
      contributionId: r.contribution_id,
      title: r.title,
      tags: r.tags,
      publishedAt: new Date(r.published_at!),
      url: r.remote_url,
      reach: figuresOf(r),
      gone: r.stopped === "gone",
    })),
  };
}
