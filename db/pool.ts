import os from "node:os";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./schema";

export interface Db {
  pool: pg.Pool;
  db: Kysely<Database>;
}

// dates stay strings ('YYYY-MM-DD') rather than turning into midnight in the server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// bigint ids fit in a JS number for any realistic volume; counts come back as numbers too.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * Connections per pool: twice the cores plus one (the usual rule, PostgreSQL wiki "Number of
 * database connections"), at least 4; DATABASE_POOL_MAX changes it (e.g. for a database server
 * with more cores than this one). More connections than the cores can serve only queue inside
 * PostgreSQL and lengthen the slowest requests: on 2 cores, a search page's p95 at 20 concurrent
 * requests was 30 ms with 5 connections and 42 ms with 10 (scripts/bench/feeds.ts).
 */
export function poolSize(configured?: number): number {
  return configured ?? Math.max(4, 2 * os.availableParallelism() + 1);
}

export interface PoolOptions {
  /** Connections (poolSize() when not given). */
  max?: number;
  /**
   * PostgreSQL cancels a statement running longer (none when not given: migrations may build
   * indexes for minutes). The app's pool sets one, so that a runaway query frees its connection.
   */
  statementTimeoutMs?: number;
  /** Longest wait for a connection, new or from the pool: a frozen server must not hang requests. */
  connectTimeoutMs?: number;
}

export function createDb(connectionString: string, options: PoolOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize(options.max),
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs,
    // Notices a server gone silent (host down, network cut) on idle connections too.
    keepAlive: true,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return { pool, db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
}

const KEY = Symbol.for("relais.db");
type Holder = { [KEY]?: Db };

/**
 * The process-wide pool, shared by the server entry, the Remix bundle, the worker and Lucia:
 * kept on globalThis so that dev reloads and a second copy of this module reuse it.
 */
export function sharedDb(connectionString: string, options?: PoolOptions): Db {
  const holder = globalThis as Holder;
  holder[KEY] ??= createDb(connectionString, options);
  return holder[KEY];
}

export async function closeSharedDb(): Promise<void> {
  const holder = globalThis as Holder;
  const current = holder[KEY];
  holder[KEY] = undefined;
  if (current) await current.db.destroy();
}
