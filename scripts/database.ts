import path from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../db/embedded";
import { migrateToLatest } from "../db/migrate";
import { setDatabaseUrl, startupEnv } from "../app/env.server";

/**
 * For command-line tools: DATABASE_URL when given; otherwise the embedded server of .data/, reusing
 * the one a running Relais already started, or starting it for the duration of the command.
 */
export async function openDatabase(): Promise<{ url: string; close: () => Promise<void> }> {
  const settings = startupEnv();
  let embedded: EmbeddedPostgres | undefined;
  let url = settings.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(settings.DATA_DIR, "pg"), attach: true });
    url = embedded.url;
  }
  setDatabaseUrl(url);
  await migrateToLatest(url);
  return {
    url,
    close: async () => {
      const { closeSharedDb } = await import("../db/pool");
      await closeSharedDb();
      await embedded?.stop();
    },
  };
}
