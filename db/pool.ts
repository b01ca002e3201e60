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

export function createDb(connectionString: string, max = 10): Db {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 });
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
export function sharedDb(connectionString: string): Db {
  const holder = globalThis as Holder;
  holder[KEY] ??= createDb(connectionString);
  return holder[KEY];
}

export async function closeSharedDb(): Promise<void> {
  const holder = globalThis as Holder;
  const current = holder[KEY];
  holder[KEY] = undefined;
  if (current) await current.db.destroy();
}
