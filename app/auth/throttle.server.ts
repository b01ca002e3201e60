import { sql } from "kysely";
import type { DB } from "~/db.server";

export const MAX_FAILURES = 10;
export const WINDOW_MINUTES = 15;

export function throttleKeys(email: string, ip: string): string[] {
  return [`email:${email.trim().toLowerCase()}`, `ip:${ip}`];
}

/**
 * Checked before any password hashing. Returns when the caller may try again, or null when the
 * attempt may go ahead. Counters live in PostgreSQL so every app instance sees the same ones.
 */
export async function throttledUntil(db: DB, keys: string[]): Promise<Date | null> {
  const rows = await db
    .selectFrom("login_failure")
    .select(["key", sql<number>`count(*)::int`.as("failures"), sql<Date>`min(failed_at)`.as("oldest")])
    .where("key", "in", keys)
    .where("failed_at", ">", sql<Date>`now() - make_interval(mins => ${WINDOW_MINUTES})`)
    .groupBy("key")
    .execute();
  const blocked = rows.filter((r) => r.failures >= MAX_FAILURES);
  if (blocked.length === 0) return null;
  // Failures are not recorded while blocked, so a key frees up when its oldest failure leaves the window.
  const oldest = Math.max(...blocked.map((b) => new Date(b.oldest).getTime()));
  return new Date(oldest + WINDOW_MINUTES * 60_000);
}

export async function recordFailure(db: DB, keys: string[]): Promise<void> {
  await db.insertInto("login_failure").values(keys.map((key) => ({ key }))).execute();
}

export async function clearFailures(db: DB, key: string): Promise<void> {
  await db.deleteFrom("login_failure").where("key", "=", key).execute();
}

/** Old rows serve no purpose once out of the window; run from a periodic job. */
export async function pruneFailures(db: DB): Promise<void> {
  await db
    .deleteFrom("login_failure")
    .where("failed_at", "<", sql<Date>`now() - make_interval(mins => ${WINDOW_MINUTES})`)
    .execute();
}
