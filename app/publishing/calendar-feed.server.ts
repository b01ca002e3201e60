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
export async function calendarForToken(db: DB, token: string | null, now: Date = new Date()): Promise<{ body: Blob; contentType: string } | null> {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const owner = await db
    .selectFrom("calendar_token as t")
    .innerJoin("app_user as u", "u.id", "t.user_id")
    .select(["u.id", "u.role", "u.active"])
    .where("t.token_hash", "=", hashOf(token))
    .executeTakeFirst();
  if (!owner || !owner.active || owner.role !== "comms") return null;
  const windowRows = () =>
    db
      .selectFrom("publication as p")
      .innerJoin("contribution as c", "c.id", "p.contribution_id")
      .innerJoin("channel as ch", "ch.id", "p.channel_id")
      .where("p.state", "<>", "cancelled")
      .where("p.scheduled_at", ">=", new Date(now.getTime() - PAST_DAYS * 86_400_000))
      .where("p.scheduled_at", "<", new Date(now.getTime() + FUTURE_DAYS * 86_400_000))
      .orderBy("p.scheduled_at")
      .orderBy("p.id")
      .limit(MAX_EVENTS);
  // The same for every comms member: built again only when what it shows changed. A digest of
  // exactly the columns the events are made of, computed by PostgreSQL, tells (one row read instead
  // of a thousand, and no document built: a poll cost ~60 ms of the server's CPU).
  const { digest } = await db
    .selectFrom(
      windowRows()
        .select([
          "p.id as pid",
          "p.scheduled_at as at",
          sql<string>`concat_ws(chr(31), p.id, p.state, p.scheduled_at, p.text, p.held_reason, p.last_error, p.remote_url, c.id, c.title, ch.name)`.as("line"),
        ])
        .as("w"),
    )
    .select(sql<string>`md5(coalesce(string_agg(w.line, chr(30) ORDER BY w.at, w.pid), ''))`.as("digest"))
    .executeTakeFirstOrThrow();
  const key = `${publicUrl()} ${digest}`;
  if (kept?.key === key) return kept.calendar;

  const rows = await windowRows()
    .select(["p.id", "p.state", "p.scheduled_at", "p.text", "p.held_reason", "p.last_error", "p.remote_url", "c.id as contribution_id", "c.title", "ch.name as channel"])
    .execute();
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
  // Encoded once, as a Blob every answer streams from: a string body was encoded again for each
  // answer (~0.5 MB a poll), and bytes would be copied whole for each.
  const calendar = { body: new Blob([editorialCalendar(entries, { now })]), contentType: CALENDAR_CONTENT_TYPE };
  kept = { key, calendar };
  return calendar;
}

/** The last document built, with the digest of what it shows (the same for every comms member). */
let kept: { key: string; calendar: { body: Blob; contentType: string } } | null = null;
