import { sql } from "kysely";
import type { Actor } from "~/auth/actor";
import { inTransaction, type DB } from "~/db.server";
import { getSettings } from "~/organisation/settings.server";
import { audit } from "~/privacy/audit.server";
import { sessionLive } from "./session.server";

export interface SessionSummary {
  /** A public handle for the list's buttons: never the session id itself, which is the cookie's secret. */
  handle: string;
  browser: string | null;
  platform: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  current: boolean;
}

// The session id is the bearer secret of its cookie: the page names sessions by a digest of it.
const handleOf = sql<string>`encode(sha256(convert_to(s.id, 'UTF8')), 'hex')`;

/**
 * The person's sessions still open under the organisation's timeouts, most recently used first.
 * Sessions past them are deleted on the way: they can no longer open anything.
 */
export async function listSessions(db: DB, userId: string, currentSessionId: string): Promise<SessionSummary[]> {
  const settings = await getSettings(db);
  const rows = await db
    .selectFrom("user_session as s")
    .select(["s.id", handleOf.as("handle"), "s.browser", "s.platform", "s.created_at", "s.last_seen_at"])
    .where("s.user_id", "=", userId)
    .orderBy("s.last_seen_at", "desc")
    .execute();
  const now = Date.now();
  const stale = rows.filter((r) => !sessionLive({ createdAt: r.created_at, lastSeenAt: r.last_seen_at }, settings, now)).map((r) => r.id);
  if (stale.length > 0) await db.deleteFrom("user_session").where("id", "in", stale).execute();
  return rows
    .filter((r) => !stale.includes(r.id))
    .map((r) => ({
      handle: r.handle,
      browser: r.browser,
      platform: r.platform,
      createdAt: r.created_at,
      lastSeenAt: r.last_seen_at,
      current: r.id === currentSessionId,
    }));
}

/**
 * Ends the actor's own sessions: the one named by `handle`, or every one but the current session
 * (`"others"`). The current session is not ended here (signing out does that). Returns how many
 * ended; an unknown handle, or another person's, ends nothing.
 */
export async function endSessions(db: DB, actor: Actor, currentSessionId: string, which: { handle: string } | "others"): Promise<number> {
  return inTransaction(db, async (trx) => {
    let query = trx.deleteFrom("user_session as s").where("s.user_id", "=", actor.id).where("s.id", "<>", currentSessionId);
    if (which !== "others") query = query.where(handleOf, "=", which.handle);
    const ended = Number((await query.executeTakeFirst()).numDeletedRows);
    if (ended > 0) {
      await audit(trx, actor, "sessions_ended", { type: "user", id: actor.id, departmentId: actor.departmentId }, { count: ended, which: which === "others" ? "others" : "one" });
    }
    return ended;
  });
}

/** The password was checked again in this session: sensitive actions are open for 15 minutes. */
export async function markPasswordChecked(db: DB, sessionId: string): Promise<void> {
  await db.updateTable("user_session").set({ password_checked_at: sql`now()` }).where("id", "=", sessionId).execute();
}

/**
 * Deletes sessions past the organisation's idle timeout or lifetime (they can open nothing, and a
 * session nobody presents again would otherwise stay until Lucia's own 90-day bound), and sign-in
 * steps left without their code. Run by the periodic prune_login_failures job.
 */
export async function pruneEndedSessions(db: DB): Promise<number> {
  const settings = await getSettings(db);
  const ended = await db
    .deleteFrom("user_session")
    .where((eb) =>
      eb.or([
        eb("last_seen_at", "<=", sql<Date>`now() - make_interval(mins => ${settings.sessionIdleMinutes})`),
        eb("created_at", "<=", sql<Date>`now() - make_interval(hours => ${settings.sessionLifetimeHours})`),
        eb("expires_at", "<=", sql<Date>`now()`),
      ]),
    )
    .executeTakeFirst();
  await db.deleteFrom("sign_in_challenge").where("expires_at", "<=", sql<Date>`now()`).execute();
  return Number(ended.numDeletedRows);
}
