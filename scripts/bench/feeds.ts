/**
 * Feed and search benchmarks: `npx tsx scripts/bench/feeds.ts`. Exits non-zero when a target is missed.
 *
 * A throwaway embedded PostgreSQL, migrated, seeded with 500,000 contributions (BENCH_ROWS to change
 * it, e.g. BENCH_ROWS=50000 for a quick try) of French-ish text. Then the domain functions the
 * routes call (departmentFeed, organisationFeed, and searchPage: results, department choices and
 * tag suggestions) run under 20 concurrent requests; target: p95 < 50 ms each. Each p95 is also given as a ratio to a bare `SELECT 1`
 * through the same pool and harness, measured just before it. When a target is missed, the query's plan
 * (EXPLAIN ANALYZE, BUFFERS) is printed to find the missing index.
 *
 * BENCH_ONLY=search measures only the cases whose name contains "search".
 * BENCH_DATA_DIR=/some/folder keeps the seeded cluster there and reuses it on the next run
 * (migrations still run: a new index is picked up without seeding again).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kysely, PostgresDialect, sql, type CompiledQuery } from "kysely";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";
import { createDb, poolSize, type Db } from "../../db/pool";
import type { Database } from "../../db/schema";
import { ensureSeeded } from "./seed";
import { unpack, type Packed } from "../../app/utils/packed";

type DB = Kysely<Database>;

const CONCURRENCY = 20;
/** Warm-up before each measure: this many requests, and at least WARMUP_SECONDS (JIT, caches). */
const WARMUP = 500;
const WARMUP_SECONDS = 2;
const REQUESTS = 1_000;
/** A measure stops here even if it has not made its REQUESTS (its line says so); its warm-up, sooner. */
const MAX_SECONDS_PER_MEASURE = 60;
const MAX_SECONDS_PER_WARMUP = 15;
const TARGET_P95_MS = 50;

const keptDir = process.env.BENCH_DATA_DIR ? path.resolve(process.env.BENCH_DATA_DIR) : null;
const workDir = keptDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "relais-bench-feeds-"));
fs.mkdirSync(workDir, { recursive: true });
fs.chmodSync(workDir, 0o755); // under root, postgres runs as the postgres user and must enter it

const ms = (start: number) => performance.now() - start;
const fmt = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * Linux only (null elsewhere): CPU ticks of the whole machine, busy and total, and those of this
 * process plus the PostgreSQL serving `dataDir` (postmaster and its children).
 */
function cpuTicks(dataDir: string): { busy: number; total: number; ours: number } | null {
  try {
    const stat = (pid: number | string) => fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]; // user nice system irq softirq steal
    const postmaster = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    const pids = [process.pid, postmaster];
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (Number(stat(entry)[1]) === postmaster) pids.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    let ours = 0;
    for (const pid of pids) {
      const fields = stat(pid);
      ours += Number(fields[11]) + Number(fields[12]); // utime, stime
    }
    return { busy, total: busy + cpu[3] + cpu[4], ours };
  } catch {
    return null;
  }
}

/* ------------------------------------------------------------------------------------------- */
/* Load                                                                                         */

interface Measure {
  p50: number;
  p95: number;
  count: number;
  seconds: number;
  truncated: boolean;
}

/** `fn(i)` for WARMUP then REQUESTS requests, CONCURRENCY at a time; latencies of the latter. */
async function load(fn: (i: number) => Promise<unknown>): Promise<Measure> {
  const run = async (total: number, record: number[] | null, deadline: number) => {
    let next = 0;
    const worker = async () => {
      while (next < total && performance.now() < deadline) {
        const i = next++;
        const start = performance.now();
        await fn(i);
        record?.push(ms(start));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  const warmStart = performance.now();
  while (performance.now() - warmStart < WARMUP_SECONDS * 1000) {
    await run(WARMUP, null, warmStart + MAX_SECONDS_PER_WARMUP * 1000);
    if (performance.now() - warmStart >= MAX_SECONDS_PER_WARMUP * 1000) break;
  }
  const latencies: number[] = [];
  const start = performance.now();
  await run(REQUESTS, latencies, start + MAX_SECONDS_PER_MEASURE * 1000);
  const seconds = ms(start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    count: latencies.length,
    seconds,
    truncated: latencies.length < REQUESTS,
  };
}

/* ------------------------------------------------------------------------------------------- */

let server: EmbeddedPostgres | undefined;
let database: Db | undefined;
// Ctrl-C: no throwaway cluster or folder left behind.
process.once("SIGINT", () => {
  console.error("interrupted: stopping PostgreSQL");
  void (async () => {
    await database?.db.destroy().catch(() => {});
    await server?.stop();
    if (!keptDir) fs.rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  })();
});
try {
  server = await startEmbeddedPostgres({ dataDir: path.join(workDir, "pg") });
  // App modules read DATABASE_URL lazily (env.server.ts); they are imported below, after this.
  process.env.DATABASE_URL = server.url;
  await migrateToLatest(server.url);
  // The pool the app itself opens (poolSize(): 5 connections on 2 cores): the 20 concurrent
  // requests wait for one as they would in the app, rather than 20 PostgreSQL processes competing
  // for the cores.
  database = createDb(server.url);
  console.log(`pool: ${poolSize()} connections`);
  const db = database.db;

  await ensureSeeded(database, workDir);

  const { departmentFeed, organisationFeed } = await import("../../app/contributions/feeds.server");
  const { searchPage } = await import("../../app/contributions/search.server");
  const { refreshTagUsage } = await import("../../app/contributions/tags.server");
  // The hourly roll-up behind the tag suggestions, as the worker would have left it.
  await refreshTagUsage(db);

  // One agent per department; requests take turns among them.
  const { rows: agents } = await database.pool.query<{ id: string; department_id: number }>(
    "SELECT DISTINCT ON (department_id) id, department_id FROM app_user ORDER BY department_id, id",
  );
  const viewers = agents.map((a) => ({ id: a.id, role: "agent" as const, departmentId: Number(a.department_id) }));
  const viewer = (i: number) => viewers[i % viewers.length];
  const secondPage = await Promise.all(viewers.map(async (v) => (await departmentFeed(db, v)).next));
  if (secondPage.some((cursor) => !cursor)) throw new Error("la première page du fil d'un service n'a pas de suite");

  type Case = { name: string; run: (on: DB, i: number) => Promise<{ items: unknown[] }> };
  // The search page as its loader asks for it: results, department choices and tag suggestions.
  const search = (q: string, tag?: string) => async (on: DB, i: number) => {
    const page = await searchPage(on, viewer(i), { q, tag });
    return { items: page.results!.items };
  };
  // Feed pages come as the browser gets them (packed): the cards are read as the page reads them.
  const cards = async (page: Promise<{ items: Packed<unknown[]> }>) => ({ items: unpack((await page).items) });
  const cases: Case[] = [
    { name: "department feed", run: (on, i) => cards(departmentFeed(on, viewer(i))) },
    { name: "department feed page 2", run: (on, i) => cards(departmentFeed(on, viewer(i), secondPage[i % viewers.length])) },
    { name: "organisation feed", run: (on, i) => cards(organisationFeed(on, viewer(i))) },
    { name: 'search "fête musique"', run: search("fête musique") },
    { name: 'search "équipe" (common)', run: search("équipe") },
    { name: 'search "conservatoire" (uncommon)', run: search("conservatoire") },
    { name: 'search "kermesse" (rare)', run: search("kermesse") },
    { name: 'search "atelier" + tag "culture"', run: search("atelier", "culture") },
  ];

  // A search that finds nothing would measure nothing: the data set must give each one work.
  for (const c of cases.filter((c) => c.name.startsWith("search"))) {
    const found = await c.run(db, 0);
    if (found.items.length === 0) throw new Error(`${c.name} : aucun résultat, le jeu de données ne convient pas`);
  }

  const cpuBefore = cpuTicks(server.dataDir);
  // The machine's speed drifts during a run (shared cores): each case is compared with a bare
  // `SELECT 1` measured just before it, through the same pool and harness.
  const bareMeasure = async () => {
    const bare = await load(() => sql`SELECT 1`.execute(db));
    console.log(
      `  bare SELECT 1 p95: ${fmt(bare.p95)} ms (p50 ${fmt(bare.p50)} ms, ${(bare.count / bare.seconds).toFixed(0)} req/s) ` +
        `at ${CONCURRENCY} concurrent requests`,
    );
    return bare;
  };

  const failed: Case[] = [];
  // BENCH_ONLY=search (say) measures only the cases whose name contains it.
  for (const c of cases.filter((c) => c.name.includes(process.env.BENCH_ONLY ?? ""))) {
    const bare = await bareMeasure();
    const m = await load((i) => c.run(db, i));
    const ok = m.p95 < TARGET_P95_MS && !m.truncated;
    if (!ok) failed.push(c);
    console.log(
      `${c.name} p95: ${fmt(m.p95)} ms (p50 ${fmt(m.p50)} ms, ${(m.count / m.seconds).toFixed(0)} req/s) = ` +
        `${(m.p95 / bare.p95).toFixed(1)}x bare SELECT 1 (target p95 < ${TARGET_P95_MS} ms) ${ok ? "OK" : "FAIL"}` +
        (m.truncated ? ` [stopped after ${MAX_SECONDS_PER_MEASURE} s, ${m.count}/${REQUESTS} requests]` : ""),
    );
  }

  // Client, app code and PostgreSQL share this machine's cores: say how much other processes took.
  const cpuAfter = cpuTicks(server.dataDir);
  if (cpuBefore && cpuAfter) {
    const others = (cpuAfter.busy - cpuBefore.busy - (cpuAfter.ours - cpuBefore.ours)) / (cpuAfter.total - cpuBefore.total);
    console.log(
      `machine: ${os.cpus().length} cores; other processes took ${(Math.max(0, others) * 100).toFixed(0)}% of the CPU during the measures` +
        (others > 0.1 ? " (absolute times are inflated by that; ratios much less)" : ""),
    );
  }

  // For each miss, the plans of its queries as the app sends them (captured, then explained alone).
  if (failed.length > 0) {
    let captured: CompiledQuery[] = [];
    // Same pool, with a log hook; not destroyed (that would end the pool, which is done below).
    const capture = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: database.pool }),
      log: (event) => {
        if (event.level === "query") captured.push(event.query);
      },
    });
    for (const c of failed) {
      captured = [];
      await c.run(capture, 0);
      for (const query of captured) {
        const plan = await database.pool.query<{ "QUERY PLAN": string }>(
          `EXPLAIN (ANALYZE, BUFFERS) ${query.sql}`,
          query.parameters as unknown[],
        );
        console.log(`\n--- ${c.name}: EXPLAIN (ANALYZE, BUFFERS), alone ---\n${query.sql}\n`);
        console.log(plan.rows.map((r) => r["QUERY PLAN"]).join("\n"));
      }
    }
  }
  process.exitCode = failed.length === 0 ? 0 : 1;
} finally {
  await database?.db.destroy().catch(() => {});
  await server?.stop();
  if (!keptDir) fs.rmSync(workDir, { recursive: true, force: true });
}
