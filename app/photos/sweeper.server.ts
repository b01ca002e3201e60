import fsp from "node:fs/promises";
import path from "node:path";
import { sql, type Transaction } from "kysely";
import type { Database, DB } from "~/db.server";
import { isValidKey, tmpDir as defaultTmpDir, type Storage } from "./storage.server";

/** How many keys are checked against the database in one query. */
const BATCH = 500;

/** The subset of `keys` that some row still points at: a photo's master, or any of its renditions. */
async function referencedKeys(db: DB, keys: string[]): Promise<Set<string>> {
  const referenced = new Set<string>();
  for (let i = 0; i < keys.length; i += BATCH) {
    const batch = keys.slice(i, i + BATCH);
    const rows = await db
      .selectFrom("photo")
      .select("master_key as key")
      .where("master_key", "in", batch)
      .union(db.selectFrom("photo_rendition").select("file_key as key").where("file_key", "in", batch))
      .execute();
    for (const row of rows) referenced.add(row.key);
  }
  return referenced;
}

/**
 * Removes stored files that no photo row references and that were last written more than
 * `graceMs` ago, plus upload temp files (tmpDir) and half-written storage temps of that age.
 *
 * The grace period protects an upload in flight: its files are written before its row is
 * inserted, and re-uploading an existing image rewrites the file, refreshing its mtime. A file is
 * re-checked just before removal for that reason; the window left (between that check and the
 * unlink) is the rare identical re-upload within milliseconds, so keep the grace well above the
 * longest upload (minutes, not seconds).
 */
export async function sweepOrphanFiles(
  db: DB,
  store: Storage,
  options: { graceMs: number; tmpDir?: string },
): Promise<{ removed: string[]; temps: number }> {
  const cutoff = new Date(Date.now() - options.graceMs);

  const candidates: string[] = [];
  for await (const { key, mtime } of store.list()) {
    if (mtime < cutoff) candidates.push(key);
  }
  const referenced = await referencedKeys(db, candidates);

  const removed: string[] = [];
  for (const key of candidates) {
    if (referenced.has(key)) continue;
    const current = await store.stat(key);
    if (!current || current.mtime >= cutoff) continue;
    await store.delete(key);
    removed.push(key);
  }

  let temps = await store.removeStaleTemps(cutoff);
  temps += await removeOldFiles(options.tmpDir ?? defaultTmpDir(), cutoff);
  return { removed, temps };
}

/**
 * Locks stored files by key until the end of the transaction `trx`: "shared" while rows that
 * point at them are inserted, "exclusive" while they are checked and removed. So a deletion and
 * an upload of the very same image (same files) cannot cross: the deletion waits for the new row
 * and keeps the files, or removes them first and the upload sees they are gone. In key order, so
 * two lockers never wait for each other.
 */
export async function lockFiles(trx: Transaction<Database>, keys: string[], mode: "shared" | "exclusive"): Promise<void> {
  if (keys.length === 0) return;
  const lock = mode === "shared" ? sql`pg_advisory_xact_lock_shared(s.h)` : sql`pg_advisory_xact_lock(s.h)`;
  await sql`SELECT count(${lock}) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(${keys}::text[]) AS k ORDER BY 1) AS s`.execute(trx);
}

/**
 * After photo rows were deleted (and that transaction committed), removes those of `keys` that
 * no remaining row references: renditions are content-addressed, so two photos of the same image
 * share files. Returns the keys removed. Anything missed here is left to sweepOrphanFiles.
 */
export async function deleteUnreferenced(db: DB, store: Storage, keys: string[]): Promise<string[]> {
  const unique = [...new Set(keys)].filter(isValidKey);
  if (unique.length === 0) return [];
  return db.transaction().execute(async (trx) => {
    await lockFiles(trx, unique, "exclusive");
    const referenced = await referencedKeys(trx, unique);
    const removed = unique.filter((key) => !referenced.has(key));
    await Promise.all(removed.map((key) => store.delete(key)));
    return removed;
  });
}

/** Removes the plain files of `dir` modified before `cutoff`; returns how many went. */
async function removeOldFiles(dir: string, cutoff: Date): Promise<number> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let removed = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(dir, entry.name);
    try {
      const { mtime } = await fsp.stat(file);
      if (mtime >= cutoff) continue;
      await fsp.rm(file, { force: true });
      removed++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return removed;
}
