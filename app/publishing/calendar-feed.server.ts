import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { PublicationState } from "../../db/schema";
import type { Actor } from "~/auth/actor";
import type { DB } from "~/db.server";
import { publicUrl } from "~/env.server";
import { CALENDAR_CONTENT_TYPE, editorialCalendar, type CalendarEntry } from "./calendar.server";

/*
 * Each comms member's editorial calendar at /calendar.ics?token=…, for calendar applications that
 * cannot sign in. The token is the only key: 32 random bytes, shown once, stored as its SHA-256
 * (a copy of the database does not open anyone's calendar); making a new one revokes the old.
 */

const hashOf = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

function assertComms(actor: Actor): void {
  if (actor.role !== "comms") throw new Response("Forbidden", { status: 403 });
}

/**
 * A new calendar token for the actor (comms only), replacing any earlier one. Returned this once,
 * with the address to give the calendar application.
 */
export async function createCalendarToken(db: DB, actor: Actor): Promise<{ token: string; url: string }> {
  assertComms(actor);
  const token = randomBytes(32).toString("base64url");
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("calendar_token").where("user_id", "=", actor.id).execute();
    await trx.insertInto("calendar_token").values({ user_id: actor.id, token_hash: hashOf(token) }).execute();
  });
  return { token, url: `${publicUrl()}/calendar.ics?token=${token}` };
}

/** Revokes the actor's calendar token: the address stops answering. */
export async function revokeCalendarToken(db: DB, actor: Actor): Promise<void> {
  await db.deleteFrom("calendar_token").where("user_id", "=", actor.id).execute();
}

/** Whether the actor has a calendar address (the token itself is never shown again). */
export async function hasCalendarToken(db: DB, actor: Actor): Promise<boolean> {
  return !!(await db.selectFrom("calendar_token").select("user_id").where("user_id", "=", actor.id).executeTakeFirst());
}

const STATE_LABELS: Record<PublicationState, string> = {
  queued: "en attente",
  scheduled: "programmée",
  publishing: "en cours d'envoi",
  published: "publiée",
  failed: "en échec",
  cancelled: "annulée",
  held: "suspendue",
};

/**
 * How far back and ahead the calendar reaches, and at most how many events: calendar applications
 * poll it every hour, and a busy queue (a post every half hour on four channels) would otherwise make
 * a document of thousands of events per poll (5,000 took seconds of the server's CPU in the bench).
 */
const PAST_DAYS = 7;
const FUTURE_DAYS = 90;
const MAX_EVENTS = 1000;

/**
 * The ICS document of the token's owner, or null (a 404) for a token that is unknown, malformed,
 * or whose owner is no longer active in the communication team. Times in UTC.
 */
export async function calendarForToken(db: DB, token: string | null, now: Date = new Date()): Promise<{ bytes: Uint8Array; contentType: string } | null> {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  // The owner, and which writes of what the calendar shows have committed (migration 24): the same
  // for every comms member, the document is built again only when that set changed or when time
  // moved an event in or out of the window. One query per poll; the digest of the window's rows it
  // replaces cost ~18 ms of PostgreSQL's time per poll.
  const owner = await db
    .selectFrom("calendar_token as t")
    .innerJoin("app_user as u", "u.id", "t.user_id")
    .select(["u.id", "u.role", "u.active"])
    .select((eb) =>
      eb
        .selectFrom("calendar_change")
        .select(sql<string>`md5(coalesce(string_agg(xact::text, ',' ORDER BY xact), ''))`.as("changes"))
        .as("changes"),
    )
    .where("t.token_hash", "=", hashOf(token))
    .executeTakeFirst();
  if (!owner || !owner.active || owner.role !== "comms") return null;
  const key = `${publicUrl()} ${owner.changes}`;
  if (kept?.key === key && now.getTime() <= kept.validUntil) return kept.calendar;

  const from = new Date(now.getTime() - PAST_DAYS * DAY_MS);
  const until = new Date(now.getTime() + FUTURE_DAYS * DAY_MS);
  const rows = await db
    .selectFrom("publication as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .innerJoin("channel as ch", "ch.id", "p.channel_id")
    .select(["p.id", "p.state", "p.scheduled_at", "p.text", "p.held_reason", "p.last_error", "p.remote_url", "c.id as contribution_id", "c.title", "ch.name as channel"])
    .where("p.state", "<>", "cancelled")
    .where("p.scheduled_at", ">=", from)
    .where("p.scheduled_at", "<", until)
    .orderBy("p.scheduled_at")
    .orderBy("p.id")
    .limit(MAX_EVENTS)
    .execute();
  // The first event after the window enters it 90 days before its time; the first in the window
  // leaves it 7 days after its own (and makes room for the next when the window is full).
  const next = await db
    .selectFrom("publication")
    .select((eb) => eb.fn.min("scheduled_at").as("at"))
    .where("state", "<>", "cancelled")
    .where("scheduled_at", ">=", until)
    .executeTakeFirstOrThrow();
  const validUntil = Math.min(
    rows.length ? new Date(rows[0].scheduled_at).getTime() + PAST_DAYS * DAY_MS : Infinity,
    next.at ? new Date(next.at).getTime() - FUTURE_DAYS * DAY_MS - 1 : Infinity,
  );
  const site = new URL(publicUrl());
  const entries: CalendarEntry[] = rows.map((r) => ({
    uid: `publication-${r.id}@${site.host}`,
    start: new Date(r.scheduled_at),
    durationMinutes: 15,
    summary: `${r.channel} : ${r.title}${r.state === "scheduled" ? "" : ` (${STATE_LABELS[r.state]})`}`,
    description: [r.text, r.held_reason ? `Suspendue : ${r.held_reason}` : "", r.last_error ? `Erreur : ${r.last_error}` : "", r.remote_url ?? ""]
      .filter(Boolean)
      .join("\n\n"),
    url: new URL(`/contributions/${r.contribution_id}`, site).href,
  }));
  // Encoded once: every answer sends these very bytes (see the route), never a copy.
  const calendar = { bytes: new TextEncoder().encode(editorialCalendar(entries, { now })), contentType: CALENDAR_CONTENT_TYPE };
  kept = { key, validUntil, calendar };
  return calendar;
}

/** Removes the calendar's change marks older than an hour (hourly, prune_calendar_changes): the set stays small. */
export async function pruneCalendarChanges(db: DB): Promise<number> {
  const result = await db.deleteFrom("calendar_change").where("changed_at", "<", sql<Date>`now() - interval '1 hour'`).executeTakeFirst();
  return Number(result.numDeletedRows);
}

const DAY_MS = 86_400_000;

/** The last document built, with the set of changes it saw and until when time leaves its window alone. */
let kept: { key: string; validUntil: number; calendar: { bytes: Uint8Array; contentType: string } } | null = null;
