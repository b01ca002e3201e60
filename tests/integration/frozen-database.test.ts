import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../db/embedded";
import { closeSharedDb } from "../../db/pool";
import { db } from "~/db.server";
import { setDatabaseUrl } from "~/env.server";
import * as healthz from "~/routes/healthz";

// A PostgreSQL of its own, frozen with SIGSTOP (postmaster and backends: a hung host, a stuck
// disk), then thawed with SIGCONT.
const root = fs.mkdtempSync(path.join(os.tmpdir(), "relais-frozen-"));
fs.chmodSync(root, 0o755);
const testUrl = process.env.DATABASE_URL!;
let server: EmbeddedPostgres;

/** The postmaster and every process it started. */
function serverPids(): number[] {
  const postmaster = Number(fs.readFileSync(path.join(server.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const children = fs.readdirSync(`/proc/${postmaster}/task`).flatMap((task) =>
    fs.readFileSync(`/proc/${postmaster}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
  );
  return [postmaster, ...children];
}
function signal(name: NodeJS.Signals) {
  for (const pid of serverPids()) {
    try {
      process.kill(pid, name);
    } catch {
      // a backend that ended meanwhile
    }
  }
}

/** healthz's answer and how long it took; "no answer" after 10 s. */
async function probe(): Promise<{ status: number | "no answer"; ms: number }> {
  const start = Date.now();
  const status = await Promise.race([
    healthz.loader().then((r) => r.status),
    new Promise<"no answer">((resolve) => setTimeout(() => resolve("no answer"), 10_000)),
  ]);
  return { status, ms: Date.now() - start };
}

describe("a frozen database", () => {
  beforeAll(async () => {
    server = await startEmbeddedPostgres({ dataDir: path.join(root, "pg") });
    await closeSharedDb();
    setDatabaseUrl(server.url);
  });
  afterAll(async () => {
    signal("SIGCONT");
    await closeSharedDb();
    delete process.env.DATABASE_STATEMENT_TIMEOUT_MS;
    setDatabaseUrl(testUrl);
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("/healthz answers 503 within 2 s, whether the pool must connect or holds a connection, and 200 once it thaws", async () => {
    // A pool with no connection yet: the connection never completes.
    signal("SIGSTOP");
    const connecting = await probe();
    signal("SIGCONT");
    expect(connecting.status).toBe(503);
    expect(connecting.ms).toBeLessThan(2000);

    // A pool holding an idle connection: the query never comes back.
    expect((await probe()).status).toBe(200);
    signal("SIGSTOP");
    const querying = await probe();
    signal("SIGCONT");
    expect(querying.status).toBe(503);
    expect(querying.ms).toBeLessThan(2000);

    await new Promise((r) => setTimeout(r, 5500)); // the earlier attempts give up (connection timeout)
    expect((await probe()).status).toBe(200);
  }, 60_000);

  it("a request's query is cancelled after DATABASE_STATEMENT_TIMEOUT_MS", async () => {
    await closeSharedDb();
    process.env.DATABASE_STATEMENT_TIMEOUT_MS = "300";
    setDatabaseUrl(server.url);
    const start = Date.now();
    await expect(sql`SELECT pg_sleep(5)`.execute(db())).rejects.toThrow(/statement timeout/);
    expect(Date.now() - start).toBeLessThan(2000);
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db())).rows).toEqual([{ one: 1 }]);
  });
});
