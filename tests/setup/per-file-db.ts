import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, inject } from "vitest";

// Each test file gets its own database, cloned from the migrated template, and its own uploads folder.
const adminUrl = inject("pgAdminUrl");
const name = `test_${randomBytes(6).toString("hex")}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name} TEMPLATE relais_template`);
await admin.end();

process.env.DATABASE_URL = adminUrl.replace(/\/postgres$/, `/${name}`);
process.env.UPLOADS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "relais-uploads-"));
process.env.SESSION_SECRET ??= "test-secret-test-secret-test-secret";

afterAll(async () => {
  const { closeSharedDb } = await import("../../db/pool");
  await closeSharedDb();
  fs.rmSync(process.env.UPLOADS_DIR!, { recursive: true, force: true });
});
