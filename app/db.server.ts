import { sql, type Kysely } from "kysely";
import { PLANNED_FOR_ITS_VALUES, sharedDb } from "../db/pool";
import type { Database } from "../db/schema";
import { env, poolOptions } from "./env.server";

export type { Database } from "../db/schema";
export type DB = Kysely<Database>;

/** The process-wide kysely instance. Domain functions take it (or a transaction) as first argument. */
export function db(): DB {
  return sharedDb(env().DATABASE_URL, poolOptions()).db;
}

/** The pg Pool behind db(), shared with Lucia and graphile-worker. */
export function pool() {
  return sharedDb(env().DATABASE_URL, poolOptions()).pool;
}

/** Runs `fn` in a transaction, joining the caller's when `db` already is one. */
export function inTransaction<T>(db: DB, fn: (trx: DB) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/** Appended to a statement whose best plan depends on its values (db/pool.ts, PLANNED_FOR_ITS_VALUES). */
export const plannedForItsValues = sql.raw(` ${PLANNED_FOR_ITS_VALUES}`);
