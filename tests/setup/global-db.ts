import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrateToLatest } from "../../db/migrate";
import { startEmbeddedPostgres } from "../../db/embedded";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export const TEMPLATE_DB = "relais_template";

/**
 * One real PostgreSQL per run; a template database migrated once, cloned by each test file
 * (tests/setup/per-file-db.ts). The server is the embedded one, or the one DATABASE_URL names
 * (CI runs the suite against Debian's PostgreSQL too): its role must be allowed to create
 * databases, and the given database itself is left untouched.
 */
export default async function setup(project: TestProject) {
  const given = process.env.DATABASE_URL?.trim();
  if (given) return useServer(project, given);

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

/** The same database, under another name (the URL's path), keeping credentials and options. */
function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function useServer(project: TestProject, url: string) {
  const admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`Tests : le serveur PostgreSQL de DATABASE_URL ne répond pas (${(error as Error).message}).`);
  }
  try {
    // A template left by an interrupted run would be stale.
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB}`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  await migrateToLatest(withDatabase(url, TEMPLATE_DB));
  // per-file-db.ts names each file's database by replacing the "postgres" of this URL.
  project.provide("pgAdminUrl", withDatabase(url, "postgres"));
}
