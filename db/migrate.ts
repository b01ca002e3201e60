import { Logger, runMigrations as runWorkerMigrations } from "graphile-worker";
import { Migrator } from "kysely/migration";
import { createDb } from "./pool";
import { migrations } from "./migrations/index";

/**
 * Brings the schema up to date: ours (kysely migrations, frozen and listed in migrations/index.ts)
 * and graphile-worker's (its own schema), so that jobs can be queued in the same transaction as
 * the rows they concern. Throws with the failing migration's name.
 */
export async function migrateToLatest(connectionString: string): Promise<string[]> {
  const { db, pool } = createDb(connectionString, { max: 2 });
  try {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === "Error");
      throw new Error(`La migration ${failed?.migrationName ?? "?"} a échoué : ${(error as Error).message ?? error}`);
    }
    await runWorkerMigrations({ pgPool: pool, logger: quietLogger });
    return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
  } finally {
    await db.destroy();
  }
}

/** graphile-worker speaks only when something goes wrong. */
export const quietLogger = new Logger(() => (level: string, message: string) => {
  if (level === "error" || level === "warning") console.error(`[worker] ${message}`);
});
