import type { DB } from "~/db.server";

/*
 * Roll-up query results kept in this process until the roll-ups change. Every recomputation of
 * roll-up days writes a new generation in its own transaction (migration 23, rollups.server.ts), so
 * a result kept under the generation read before the queries is exactly what the queries would give
 * again: the dashboard loaded a second time before the next change (the minute job changes the
 * roll-ups only when something counted happened) reads one row instead of summing a year of days.
 * Each instance keeps its own; the generation lives in the database, so instances agree.
 *
 * Departments and channels (their names, how many departments there are) change the generation too
 * (migration 23's triggers). What comes from other tables is read live, not kept: people's names
 * and the "temps forts".
 */

const MAX_RESULTS = 500;
let keptGeneration: string | null = null;
const kept = new Map<string, Promise<unknown>>();

/** The roll-ups' current generation (null in a database without the row: nothing is kept then). */
export async function rollupGeneration(db: DB): Promise<string | null> {
  const row = await db.selectFrom("statistics_generation").select("generation").executeTakeFirst();
  return row?.generation ?? null;
}

/**
 * `compute()`'s result for `key` under `generation`: computed once, then shared (concurrent
 * requests for the same figures wait for the same queries). A failure is not kept.
 */
export function keptResult<T>(generation: string | null, key: string, compute: () => Promise<T>): Promise<T> {
  if (generation === null) return compute();
  if (generation !== keptGeneration) {
    kept.clear();
    keptGeneration = generation;
  }
  let result = kept.get(key) as Promise<T> | undefined;
  if (!result) {
    result = compute();
    kept.set(key, result);
    const mine = result;
    mine.catch(() => kept.get(key) === mine && kept.delete(key));
    if (kept.size > MAX_RESULTS) kept.delete(kept.keys().next().value!);
  }
  return result;
}
