import { sql } from "kysely";
import { inTransaction, type DB } from "~/db.server";

/**
 * Remembers what `load(...args)` gave per key, for as long as the database's content version stays
 * the same: for answers that are the same for everyone who may see them (a department's feed page),
 * never checked in place of a permission (check first, then ask). The version is the one read with
 * the request's session (`contentVersion`, migration 26), before the answer is loaded: an answer is
 * never older than the version it is kept under, and the first request after a write to what it
 * shows commits gets a new one, on every instance. Without a version (a job, a test calling the
 * domain function) nothing is kept. The most recently used `maxEntries` are kept, all under the
 * version seen last.
 *
 * A kept answer is shared by the requests that get it: nothing may change it (the markup keeper
 * digests it once, app/server/kept-markup.server.tsx).
 */
export function keptUntilChange<V, A extends unknown[]>(maxEntries: number, load: (...args: A) => Promise<V>) {
  const entries = new Map<string, { version: string; value: Promise<V> }>();
  let latest: string | null = null;
  return (version: string | null | undefined, key: string, ...args: A): Promise<V> => {
    if (!version) return load(...args);
    // Another version: what was kept under the previous one is dropped at once, not served and not
    // left in memory (an erased person's name, a withdrawn photo's row).
    if (version !== latest) {
      entries.clear();
      latest = version;
    }
    const hit = entries.get(key);
    entries.delete(key); // most recently used last
    if (hit?.version === version) {
      entries.set(key, hit);
      return hit.value;
    }
    const value = load(...args);
    entries.set(key, { version, value });
    for (const oldest of entries.keys()) {
      if (entries.size <= maxEntries) break;
      entries.delete(oldest);
    }
    // A failed load is not kept.
    value.catch(() => entries.get(key)?.value === value && entries.delete(key));
    return value;
  };
}

/**
 * Removes the content change marks older than an hour (hourly, prune_content_changes) and, when it
 * removed any, bumps the generation in the same transaction: the version changes, as it must when
 * the set does (migration 26). Returns how many were removed.
 */
export async function pruneContentChanges(db: DB): Promise<number> {
  return inTransaction(db, async (trx) => {
    const removed = await trx.deleteFrom("content_change").where("changed_at", "<", sql<Date>`now() - interval '1 hour'`).executeTakeFirst();
    const count = Number(removed.numDeletedRows);
    if (count > 0) await trx.updateTable("content_prune").set({ generation: sql`generation + 1` }).execute();
    return count;
  });
}
