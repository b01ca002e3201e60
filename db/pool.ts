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
  /** Statements prepared once per connection (PreparingClient); false behind a pooler that cannot keep them. */
  prepare?: boolean;
}

/** At most this many distinct statements are prepared (a process-wide bound on PostgreSQL's memory per connection). */
export const MAX_PREPARED = 1_000;
const statementNames = new Map<string, string>();
let named = 0;

/**
 * Ends a statement whose best plan depends on its values: full-text words and tags, whose frequency
 * PostgreSQL knows only once it sees them. A generic plan of the search for a word and a frequent
 * tag took 95 ms where the plan for those values took 4. Such a statement is sent unnamed, and
 * planned for each set of values.
 */
export const PLANNED_FOR_ITS_VALUES = "/* planned for its values */";

/** The name under which `text` is prepared, or undefined for a statement sent unnamed. */
export function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED && !text.endsWith(PLANNED_FOR_ITS_VALUES) && /^\s*\(?\s*(select|insert|update|delete|with)\b/i.test(text)) {
    name = `relais_${named++}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A client that prepares the app's statements: each distinct text (kysely passes values apart, so a
 * page's queries have one text each) is parsed and planned by PostgreSQL once per connection, then
 * only bound and executed. Parsing and planning were most of PostgreSQL's time on a page (decision
 * 0011, "Sixth pass"). PostgreSQL replans with the values for the first five executions and keeps a
 * generic plan only when it seems to cost no more (plan_cache_mode auto; see PLANNED_FOR_ITS_VALUES
 * for when it is wrong). Queries given as objects
 * (graphile-worker's) and statements other than SELECT, INSERT, UPDATE, DELETE and WITH go as before.
 */
export class PreparingClient extends pg.Client {
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === "string" && Array.isArray(values)) {
      const name = statementName(config);
      if (name !== undefined) {
        const run = (as: string, done?: (error: any, result: any) => void): any => (done ? super.query({ name: as, text: config, values }, done) : super.query({ name: as, text: config, values }));
        // Once more under a new name when the statement's columns changed under it; inside a
        // transaction the retry fails too (the transaction is aborted), and the first error is given.
        if (typeof callback === "function") {
          return run(name, (error, result) => (isStalePlan(error) ? run(renamed(config), (again, retried) => callback(again ? error : null, retried)) : callback(error, result)));
        }
        return run(name).catch((error: unknown) => {
          if (!isStalePlan(error)) throw error;
          return run(renamed(config)).catch(() => {
            throw error;
          });
        });
      }
    }
    return super.query(config, values, callback);
  }
}

/**
 * A prepared statement whose result's columns changed under it: a migration by another instance
 * added a column to a table this one reads with `*` (a rolling deploy). PostgreSQL replans it but
 * refuses to change its columns; named afresh, it is prepared again on every connection.
 */
function isStalePlan(error: unknown): boolean {
  return error instanceof Error && (error as { code?: string }).code === "0A000" && error.message.includes("cached plan must not change result type");
}

function renamed(text: string): string {
  const name = `relais_${named++}`;
  statementNames.set(text, name);
  return name;
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
    Client: options.prepare === false ? pg.Client : PreparingClient,
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
