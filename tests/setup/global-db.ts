import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrateToLatest } from "../../db/migrate";
import { startEmbeddedPostgres } from "../../db/embedded";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export const TEMPLATE_DB = "relais_template";

/** One real PostgreSQL per run; a template database migrated once, cloned by each test file. */
export default async function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relais-test-"));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), database: TEMPLATE_DB });
  await migrateToLatest(pg.url);
  project.provide("pgAdminUrl", pg.url.replace(/\/[^/]+$/, "/postgres"));
  return async () => {
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
