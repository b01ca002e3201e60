/**
 * The pages as users meet them, through HTTP: `npx tsx scripts/bench/http.ts` (run by `npm run bench`).
 * Exits non-zero when a target is missed.
 *
 * The production build (`npm run build`, made here under the e2e lock unless BENCH_NO_BUILD=1) runs in
 * its own process (scripts/server.ts, NODE_ENV=production, no worker) against the benchmarks' seeded
 * database (seed.ts; BENCH_DATA_DIR keeps it between runs). One session per role is made with the
 * app's session module. autocannon, in this process, sends 50 connections for 10 s to each page after
 * a 3 s warm-up (10 s for each server before its first measure), and reads p50/p95/p99, req/s, errors and non-2xx answers.
 *
 * Two references in the same run: a bare node:http server sending the department feed's bytes (the
 * ceiling), and the app's signed-in 404 page (the framework's floor: layout, root loader, no data),
 * measured first and last (its target, ≥ 500 req/s, reads on their mean) and again beside each
 * page, in 2 s turns with it: each page reads as a ratio of req/s to the floor measured beside it, as
 * the machine was then (its speed drifts by half within a run on shared cores; decision 0011). The server's
 * resident memory is sampled under load (VmRSS) and its peak read at the end (VmHWM).
 * Prints a table and writes bench/results.json ({ name, value, unit, ratio }).
 *
 * Pages kept per person (search, "mes contributions") are measured as their person gets them again;
 * one case more asks a new search at each request, for what a search costs when it is not kept (no
 * target: for the record).
 *
 * BENCH_ONLY=search measures only the cases whose name contains it, or one of its comma-separated
 * parts (the floor always).
 * BENCH_PROFILE=1 runs the server under `node --cpu-prof` and prints its top self-time functions.
 * BENCH_DURATION=10 seconds per measure, BENCH_CONNECTIONS=50.
 * BENCH_COMPARE=<folder holding another build/>[,<another>…] (under node_modules/.cache, say, so that
 * its imports resolve) also starts those builds beside this one and measures each case on all in
 * turn (A B, then B A): a change reads as a ratio within one run, on the same noisy machine.
 * BENCH_USE=<folder holding a build/> serves "B" from there instead of building (saved builds do
 * not change under the run when another session rebuilds `build/`): `scripts/bench/save-build.sh <name>`,
 * or `save-build.sh <name> <commit>` for a commit's own tree (sources and build, outside the working
 * tree): run this file from such a tree (`BENCH_USE=.`) so that a kept BENCH_DATA_DIR is migrated
 * with committed migrations only, not with another session's work in progress.
 * BENCH_ROUNDS=3 measures each case three times: the median round by its ratio to the floor beside, and
 * the median of each latency and CPU figure.
 * BENCH_SERVE=1 starts the server, prints its address and one cookie per role, and waits for Ctrl-C.
 * The server gets `npm start`'s heap sizes (--max-old-space-size=256, RELAIS_HEAP_MB, and
 * --max-semi-space-size=16) unless SERVER_NODE_OPTIONS is set (NODE_OPTIONS would reach this
 * process too, the load tool: limited, it measured the ceiling at half).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon, { type Request as CannonRequest } from "autocannon";
import { freePort, startEmbeddedPostgres, type EmbeddedPostgres } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";
import { createDb, type Db } from "../../db/pool";
import { ensureSeeded, seedExtras } from "./seed";
import { seedPublishing } from "./seed-publishing";
import { seedStatistics } from "./seed-statistics";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_SECONDS = 3;
/**
 * The floor measured beside each page, for the page's ratio, in turns with it: page and floor in
 * slices of this many seconds (P F F P P F F P…), as long in all as the page's measure. The machine's
 * speed drifts within seconds (one floor before, then one after, 5 s each, read 1,147 then 803 req/s
 * around one page): short turns meet the same machine. 5 s alone read ±30 %.
 */
const SLICE_SECONDS = 2;
/**
 * Between two turns: autocannon drops its connections at the end of a run with their requests in
 * flight, which the server still answers; the next turn's 50 requests would queue behind them (p99
 * 320–430 ms in the first run so, against 140–180 ms).
 */
const DRAIN_MS = 300;
/** Once per server, before its first measure. */
const SERVER_WARMUP_SECONDS = 10;
/** Each case this many times (A/B alternating in compare mode); the table gives the median round by its ratio to the floor beside (by req/s for the references), and the median of each latency and CPU figure. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const TARGET_FLOOR_RPS = 500;
const TARGET_RATIO = 0.8;
const TARGET_P95_MS = 150;
const TARGET_MEMORY_MB = 400;
const E2E_LOCK = "/tmp/relais-e2e.lock";
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

const keptDir = process.env.BENCH_DATA_DIR ? path.resolve(process.env.BENCH_DATA_DIR) : null;
const workDir = keptDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "relais-bench-http-"));
fs.mkdirSync(workDir, { recursive: true });
fs.chmodSync(workDir, 0o755); // under root, postgres runs as the postgres user and must enter it
const uploadsDir = path.join(workDir, "uploads");
const profileDir = path.join(workDir, "profiles");

interface Case {
  name: string;
  path: string | string[];
  role: Role;
  /** The status every answer must have (the floor is a 404 page). */
  status?: number;
  /** Not a page of the app: no ratio target. */
  reference?: boolean;
  /** What a kept page costs when it is not kept (its first load), measured beside the floor for the record: no target. */
  notKept?: boolean;
  /** Its own load and target instead of the floor's ratio (the statistics dashboard: 10 connections, p95 < 100 ms). */
  connections?: number;
  p95Ms?: number;
}
type Role = "agent" | "comms" | "author" | "none";

interface Measure {
  name: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  unexpected: number;
  rssMb: number;
  total: number;
  /** The server's CPU time (all its threads) per answer: steadier than req/s when other processes share the cores. */
  cpuMs: number;
  /** PostgreSQL's CPU time (the postmaster and all its processes) per answer: the other half of a page's cost on these cores. */
  pgCpuMs: number;
  /** The floor's req/s measured on the same server in turns with this page (its ratio's denominator). */
  floorBeside?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** User + system CPU time of a process so far, in ms (Linux; NaN elsewhere). */
function cpuMsOf(pid: number | undefined): number {
  const stat = procStat(pid);
  return stat ? stat.cpuMs : NaN;
}

/**
 * A process's parent and CPU times from /proc/<pid>/stat, in ms (USER_HZ = 100): its own (utime +
 * stime) and that of its children that ended (cutime + cstime). Null when it is gone or not Linux.
 */
function procStat(pid: number | string | undefined): { parent: number; cpuMs: number; endedChildrenMs: number } | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    const ms = (a: number, b: number) => ((Number(fields[a]) + Number(fields[b])) * 1000) / 100;
    return { parent: Number(fields[1]), cpuMs: ms(11, 12), endedChildrenMs: ms(13, 14) };
  } catch {
    return null;
  }
}

/**
 * User + system CPU time so far of the PostgreSQL cluster: its postmaster, the processes it started
 * that still run (one per connection of the app's pool) and those that ended. NaN elsewhere than Linux.
 */
function postgresCpuMs(): number {
  if (!pg) return NaN;
  try {
    const postmaster = Number(fs.readFileSync(path.join(pg.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    // Its own time and its children's that ended (autovacuum workers come and go).
    const own = procStat(postmaster);
    if (!own) return NaN;
    let total = own.cpuMs + own.endedChildrenMs;
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const child = procStat(entry); // null when gone between the listing and the read
      if (child?.parent === postmaster) total += child.cpuMs;
    }
    return total;
  } catch {
    return NaN;
  }
}

function memoryMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** How far each list of paths asked `inTurn` has gone, across the runs of its case. */
const turns = new WeakMap<string[], number>();

/**
 * One autocannon run; latencies are kept per answer so that p95 can be read (autocannon gives p97.5).
 * Each connection walks `paths` from its start; `inTurn`, the connections take them one after the
 * other instead, so that no path is asked twice before the list is through.
 */
function cannon(url: string, headers: Record<string, string>, paths: string[], seconds: number, expected: number, pid?: number, connections = CONNECTIONS, inTurn = false) {
  return cannonSlice(url, headers, paths, seconds, expected, pid, connections, inTurn).then((slice) => summary([slice]));
}

/** What one autocannon run saw, to be read alone or with other slices of the same measure. */
interface Slice {
  latencies: number[];
  total: number;
  seconds: number;
  errors: number;
  unexpected: number;
  rssMb: number;
  cpuMs: number;
  pgCpuMs: number;
}

/** One measure from its slices: req/s over their time, percentiles over all their answers, CPU per answer. */
function summary(slices: Slice[]): Omit<Measure, "name"> {
  const latencies = slices.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const sum = (pick: (s: Slice) => number) => slices.reduce((total, s) => total + pick(s), 0);
  const total = sum((s) => s.total);
  return {
    rps: total / sum((s) => s.seconds),
    p50: round(percentile(latencies, 0.5)),
    p95: round(percentile(latencies, 0.95)),
    p99: round(percentile(latencies, 0.99)),
    errors: sum((s) => s.errors),
    unexpected: sum((s) => s.unexpected),
    rssMb: Math.max(...slices.map((s) => s.rssMb)),
    total,
    cpuMs: round(sum((s) => s.cpuMs) / Math.max(1, total)),
    pgCpuMs: round(sum((s) => s.pgCpuMs) / Math.max(1, total)),
  };
}

function cannonSlice(url: string, headers: Record<string, string>, paths: string[], seconds: number, expected: number, pid?: number, connections = CONNECTIONS, inTurn = false) {
  const next = (request: CannonRequest) => {
    const turn = turns.get(paths) ?? 0;
    turns.set(paths, turn + 1);
    return { ...request, path: paths[turn % paths.length] };
  };
  return new Promise<Slice>((resolve, reject) => {
    const latencies: number[] = [];
    let unexpected = 0;
    let rssMb = 0;
    const cpuBefore = cpuMsOf(pid);
    const pgBefore = postgresCpuMs();
    const sampler = pid ? setInterval(() => (rssMb = Math.max(rssMb, memoryMb(pid, "VmRSS"))), 250) : undefined;
    const instance = autocannon(
      { url, connections, duration: seconds, headers, requests: inTurn ? [{ setupRequest: next }] : paths.map((p) => ({ path: p })), timeout: 10 },
      (error, result) => {
        clearInterval(sampler);
        if (error) return reject(error);
        resolve({
          latencies,
          total: result.requests.total,
          seconds: result.duration,
          errors: result.errors + result.timeouts,
          unexpected,
          rssMb,
          cpuMs: cpuMsOf(pid) - cpuBefore,
          pgCpuMs: postgresCpuMs() - pgBefore,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (statusCode !== expected) unexpected++;
    });
  });
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve(match[1] ?? match[0]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk) => (output += chunk));
    child.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`${what} exited:\n${output}`));
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
  });
}

/**
 * Holds the e2e lock (other sessions build and serve `build/` under it) from the build until the
 * server has loaded it; released by closing the holder's stdin.
 */
async function takeE2eLock(): Promise<() => void> {
  const holder = spawn("flock", [E2E_LOCK, "sh", "-c", "echo locked; cat >/dev/null"], { stdio: ["pipe", "pipe", "inherit"] });
  await waitForLine(holder, /locked/, "flock");
  return () => holder.stdin?.end();
}

/**
 * The server entry that serves a build: a saved tree's own (`save-build.sh <name> <commit>` keeps
 * the sources beside the build), so that a change to the entry (static files, middleware) can be
 * compared too; otherwise this checkout's.
 */
function serverEntry(dir: string): string {
  const own = path.join(dir, "scripts", "server.ts");
  return fs.existsSync(own) ? own : path.join(root, "scripts", "server.ts");
}

/** Top self-time functions of the newest .cpuprofile in `dir`. */
function printProfile(dir: string, top = 25) {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")) : [];
  if (files.length === 0) return console.log("no CPU profile written");
  const newest = files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  const profile = JSON.parse(fs.readFileSync(newest, "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url.replace(/^file:\/\//, "").replace(`${root}/`, "").replace(/^.*node_modules\//, "~");
    const key = `${frame.functionName || "(anonymous)"} ${where ? `${where}:${frame.lineNumber + 1}` : ""}`;
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  console.log(`\nCPU profile ${newest}: top ${top} self time of ${(total / 1e6).toFixed(1)} s`);
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
}

let pg: EmbeddedPostgres | undefined;
let database: Db | undefined;
let server: ChildProcess | undefined;
const others: ChildProcess[] = [];
let ceiling: ChildProcess | undefined;
let releaseLock: (() => void) | undefined;
async function cleanUp() {
  releaseLock?.();
  await Promise.all([stop(server), ...others.map(stop), stop(ceiling)]);
  await database?.db.destroy().catch(() => {});
  await pg?.stop();
  if (!keptDir) fs.rmSync(workDir, { recursive: true, force: true });
}
process.once("SIGINT", () => {
  console.error("interrupted: stopping the servers and PostgreSQL");
  void cleanUp().then(() => process.exit(130));
});

try {
  pg = await startEmbeddedPostgres({ dataDir: path.join(workDir, "pg") });
  // App modules read these lazily (env.server.ts): set before the seed imports the photo pipeline.
  process.env.DATABASE_URL = pg.url;
  process.env.UPLOADS_DIR = uploadsDir;
  await migrateToLatest(pg.url);
  database = createDb(pg.url, { max: 2 });
  await ensureSeeded(database, workDir);
  await seedExtras(database);
  const { calendarToken } = await seedPublishing(database);
  const { refreshTagUsage } = await import("../../app/contributions/tags.server");
  await refreshTagUsage(database.db); // the hourly roll-up, as the worker would have left it
  await seedStatistics(database); // decisions' history, and the statistics' roll-ups rebuilt

  // Who asks: an agent (bench-5), the author of many contributions (the agent too), a comms officer.
  const { pool } = database;
  await pool.query("UPDATE app_user SET role = 'comms' WHERE id = 'bench-3' AND role <> 'comms'");
  const { lucia } = await import("../../app/auth/session.server");
  const cookieFor = async (userId: string) => {
    const session = await lucia().createSession(userId, {});
    return `${lucia().sessionCookieName}=${session.id}`;
  };
  const cookies: Record<Role, string> = {
    agent: await cookieFor("bench-5"),
    author: await cookieFor("bench-5"),
    comms: await cookieFor("bench-3"),
    none: "",
  };
  // Contributions everyone may read, with photos and comments: the contribution page cycles through them.
  const { rows: shown } = await pool.query<{ id: string }>(
    `SELECT c.id FROM contribution c WHERE c.status = 'approved' AND c.visibility = 'organisation'
       AND EXISTS (SELECT 1 FROM photo p WHERE p.contribution_id = c.id) AND EXISTS (SELECT 1 FROM comment m WHERE m.contribution_id = c.id)
     ORDER BY c.id DESC LIMIT 50`,
  );
  const { rows: photos } = await pool.query<{ id: string }>(
    `SELECT p.id FROM photo p JOIN contribution c ON c.id = p.contribution_id
     WHERE c.status = 'approved' AND c.visibility = 'organisation' ORDER BY p.id DESC LIMIT 50`,
  );
  if (shown.length === 0 || photos.length === 0) throw new Error("le jeu de données n'a ni contribution avec photos ni photo visible");

  const cases: Case[] = [
    { name: "ceiling: node:http, feed bytes", path: "/", role: "none", reference: true },
    { name: "floor: signed-in 404 page", path: "/bench-nowhere", role: "agent", status: 404, reference: true },
    { name: "/healthz", path: "/healthz", role: "none", reference: true },
    { name: "department feed", path: "/", role: "agent" },
    { name: "organisation feed", path: "/?scope=organisation", role: "agent" },
    { name: 'search "équipe" (frequent)', path: `/search?q=${encodeURIComponent("équipe")}`, role: "agent" },
    { name: 'search "kermesse" (rare)', path: "/search?q=kermesse", role: "agent" },
    { name: 'search "atelier" + tag "culture"', path: "/search?q=atelier&tag=culture", role: "agent" },
    // A person's results are kept (app/contributions/search.server.ts): here each request asks for
    // another search (the rare word up to another day, the same rows), more than are kept.
    {
      name: 'search "kermesse", never the same twice (not kept)',
      path: Array.from({ length: 5000 }, (_, i) => `/search?q=kermesse&to=${new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10)}`),
      role: "agent",
      notKept: true,
    },
    { name: "review inbox", path: "/review", role: "comms" },
    { name: "contribution page", path: shown.map((r) => `/contributions/${r.id}`), role: "agent" },
    { name: "photo rendition (thumb)", path: photos.map((r) => `/photos/${r.id}/thumb`), role: "agent" },
    { name: "my contributions", path: "/my", role: "author" },
    { name: "queue (list)", path: "/publishing", role: "comms" },
    { name: "queue (week)", path: "/publishing?view=week", role: "comms" },
    { name: "queue (month)", path: "/publishing?view=month", role: "comms" },
    { name: "calendar.ics", path: `/calendar.ics?token=${calendarToken}`, role: "comms" },
    // The organisation-wide dashboard over this year, and over a year without data: their ratio is
    // what the data costs. Issue 11's load and target: 10 connections, p95 under 100 ms.
    { name: "statistics, every department, this year", path: "/statistics?period=year", role: "comms", connections: 10, p95Ms: 100 },
    { name: "statistics, every department, empty year", path: "/statistics?period=custom&from=2001-01-01&to=2001-12-31", role: "comms", connections: 10, p95Ms: 100 },
  ];

  // The build, and the server loading it, under the e2e lock: an e2e run rebuilds `build/`.
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const use = process.env.BENCH_USE ? path.resolve(process.env.BENCH_USE) : null;
  if (use && !fs.existsSync(path.join(use, "build", "server", "index.js"))) throw new Error(`BENCH_USE: ${use}/build/server/index.js is missing`);
  releaseLock = use ? undefined : await takeE2eLock();
  if (!use && process.env.BENCH_NO_BUILD !== "1") {
    console.log("building (npm run build)…");
    const built = spawnSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
    if (built.status !== 0) throw new Error("npm run build failed");
  }
  const profiling = process.env.BENCH_PROFILE === "1";
  if (profiling) fs.rmSync(profileDir, { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    DATABASE_URL: pg.url,
    UPLOADS_DIR: uploadsDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    RUN_WORKER: "false",
    // The heap sizes `npm start` sets (package.json; RELAIS_HEAP_MB), unless SERVER_NODE_OPTIONS says otherwise.
    NODE_OPTIONS: process.env.SERVER_NODE_OPTIONS ?? `--max-old-space-size=${process.env.RELAIS_HEAP_MB ?? 256} --max-semi-space-size=16`,
  };
  server = spawn(
    process.execPath,
    [...(profiling ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), "--import", "tsx", serverEntry(use ?? root)],
    { cwd: use ?? root, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  await waitForLine(server, /Relais est prêt/, "the server");
  releaseLock?.();
  releaseLock = undefined;
  server.stderr?.on("data", (chunk) => process.stderr.write(`[server] ${chunk}`));
  const variants = [{ label: "", base, pid: server.pid! }];
  // Other builds beside this one, each in its own server: labelled by their folder's name, this one "B".
  for (const dir of (process.env.BENCH_COMPARE ?? "").split(",").filter(Boolean).map((d) => path.resolve(d))) {
    if (!fs.existsSync(path.join(dir, "build", "server", "index.js"))) throw new Error(`BENCH_COMPARE: ${dir}/build/server/index.js is missing`);
    const portA = await freePort();
    const other = spawn(process.execPath, ["--import", "tsx", serverEntry(dir)], {
      cwd: dir,
      env: { ...env, PORT: String(portA) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    others.push(other);
    await waitForLine(other, /Relais est prêt/, `the server of ${dir}`);
    variants.splice(variants.length - 1, 0, { label: ` [${path.basename(dir).replace(/^relais-bench-/, "")}]`, base: `http://127.0.0.1:${portA}`, pid: other.pid! });
  }
  if (variants.length > 1) variants[variants.length - 1].label = ` [${use ? path.basename(use).replace(/^relais-bench-/, "") : "B"}]`;

  // The feed's bytes, as the agent gets them, for the ceiling.
  const feed = await fetch(`${base}/`, { headers: { cookie: cookies.agent } });
  if (feed.status !== 200) throw new Error(`the department feed answered ${feed.status}`);
  const feedBytes = path.join(workDir, "feed.html");
  fs.writeFileSync(feedBytes, Buffer.from(await feed.arrayBuffer()));
  ceiling = spawn(
    process.execPath,
    [
      "-e",
      `const body = require("fs").readFileSync(${JSON.stringify(feedBytes)});
       const s = require("http").createServer((q, r) => { r.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Length": body.length }); r.end(body); });
       s.listen(0, "127.0.0.1", () => console.log("port " + s.address().port));`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const ceilingPort = Number(await waitForLine(ceiling, /port (\d+)/, "the ceiling server"));

  // Each page must answer as expected once before it is measured.
  for (const c of cases.filter((c) => !c.name.startsWith("ceiling"))) {
    const first = Array.isArray(c.path) ? c.path[0] : c.path;
    const response = await fetch(`${base}${first}`, { headers: c.role === "none" ? {} : { cookie: cookies[c.role] } });
    await response.arrayBuffer();
    if (response.status !== (c.status ?? 200)) throw new Error(`${c.name}: ${first} answered ${response.status}`);
  }

  if (process.env.BENCH_SERVE === "1") {
    // For probing by hand (curl, a profiler): the server stays up with its sessions until Ctrl-C.
    console.log(`serving ${base} (database ${pg.url})\n${Object.entries(cookies).filter(([, c]) => c).map(([role, c]) => `${role}: ${c}`).join("\n")}`);
    await new Promise<never>(() => {}); // the SIGINT handler above stops everything
  }
  const only = process.env.BENCH_ONLY ?? "";
  const chosen = cases.filter((c) => c.name.startsWith("floor") || only.split(",").some((o) => c.name.includes(o)));
  const floorCase = cases.find((c) => c.name.startsWith("floor"))!;
  // The floor again at the end: the machine's speed drifts (shared cores), ratios use the mean.
  const order = [...chosen, { ...floorCase, name: "floor again (end of run)" }];
  // A server just started spends its first seconds compiling (V8's optimising tiers) and sizing its
  // heap: the first floor, measured then, came out 10-20 % below the last one in every run.
  for (const v of variants) await cannon(v.base, { cookie: cookies[floorCase.role] }, [floorCase.path as string], SERVER_WARMUP_SECONDS, floorCase.status ?? 200);
  const rounds: (Measure & Case & { label: string })[] = [];
  let turn = 0;
  for (const c of order) {
    const headers: Record<string, string> = c.role === "none" ? {} : { cookie: cookies[c.role] };
    const paths = Array.isArray(c.path) ? c.path : [c.path];
    const isCeiling = c.name.startsWith("ceiling");
    // A then B, then B then A: neither always gets the warmer (or the quieter) machine.
    const these = isCeiling ? [{ label: "", base: `http://127.0.0.1:${ceilingPort}`, pid: undefined }] : turn++ % 2 ? [...variants].reverse() : variants;
    const page = !c.reference && !c.name.startsWith("floor");
    for (const v of Array.from({ length: ROUNDS }, (_, r) => (r % 2 ? [...these].reverse() : these)).flat()) {
      // The floor beside the page, in turns with it on the same server (SLICE_SECONDS), for this page's ratio.
      const floorHeaders = { cookie: cookies[floorCase.role] };
      const floorSlice = (seconds: number) => cannonSlice(v.base, floorHeaders, [floorCase.path as string], seconds, floorCase.status ?? 200, v.pid);
      const pageSlice = (seconds: number) => cannonSlice(v.base, headers, paths, seconds, c.status ?? 200, v.pid, c.connections, c.notKept);
      if (page) await floorSlice(WARMUP_SECONDS);
      await pageSlice(WARMUP_SECONDS);
      let m: Omit<Measure, "name">;
      let floor: Omit<Measure, "name"> | undefined;
      if (page) {
        const pageSlices: Slice[] = [];
        const floorSlices: Slice[] = [];
        const pairs = Math.max(1, Math.round(DURATION / SLICE_SECONDS));
        const pause = () => new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
        for (let i = 0; i < pairs; i++) {
          // P F, then F P: neither always goes first after the other.
          for (const side of i % 2 === 0 ? ["page", "floor"] : ["floor", "page"]) {
            if (side === "page") pageSlices.push(await pageSlice(DURATION / pairs));
            else floorSlices.push(await floorSlice(DURATION / pairs));
            await pause();
          }
        }
        m = summary(pageSlices);
        floor = summary(floorSlices);
      } else {
        m = await cannon(v.base, headers, paths, DURATION, c.status ?? 200, v.pid, c.connections, c.notKept);
      }
      // A floor with errors (the server left unresponsive) says nothing of the page: its ratio reads on the floor's mean.
      const floorBeside = floor && floor.errors + floor.unexpected === 0 ? floor.rps : undefined;
      const name = `${c.name}${v.label}`;
      rounds.push({ ...c, ...m, name, label: v.label, floorBeside });
      console.log(
        `${name}: ${m.rps.toFixed(0)} req/s${floor ? ` (floor beside, in turns: ${floor.rps.toFixed(0)}, server CPU ${floor.cpuMs} ms/req)` : ""}, p50 ${m.p50} ms, p95 ${m.p95} ms, p99 ${m.p99} ms, ` +
          `${m.errors} errors, ${m.unexpected} unexpected statuses` + (v.pid ? `, RSS ${m.rssMb.toFixed(0)} MB, server CPU ${m.cpuMs} ms/req, PostgreSQL CPU ${m.pgCpuMs} ms/req` : ""),
      );
    }
  }
  // The median round by what is read: a page's ratio to its floor beside (req/s alone follows the machine's drift);
  // latencies and CPU are each their own median over the rounds (the round of median ratio may be the slowest
  // machine's), errors the most any round had.
  const byRead = (r: (typeof rounds)[number]) => (r.floorBeside ? r.rps / r.floorBeside : r.rps);
  const results = [...new Set(rounds.map((r) => r.name))].map((name) => {
    const these = rounds.filter((r) => r.name === name).sort((a, b) => byRead(a) - byRead(b));
    const median = (pick: (r: (typeof these)[number]) => number) => these.map(pick).sort((a, b) => a - b)[Math.floor(these.length / 2)];
    return {
      ...these[Math.floor(these.length / 2)],
      p50: median((r) => r.p50),
      p95: median((r) => r.p95),
      p99: median((r) => r.p99),
      cpuMs: median((r) => r.cpuMs),
      pgCpuMs: median((r) => r.pgCpuMs),
      errors: Math.max(...these.map((r) => r.errors)),
      unexpected: Math.max(...these.map((r) => r.unexpected)),
    };
  });
  const peakMb = Math.max(...variants.map((v) => memoryMb(v.pid, "VmHWM")));
  const floorOf = new Map(
    variants.map((v) => {
      // A floor measured on a server left unresponsive by the case before it (errors) says nothing of the floor.
      const measured = results.filter((r) => r.name.startsWith("floor") && r.label === v.label);
      const floors = measured.some((r) => r.errors + r.unexpected === 0) ? measured.filter((r) => r.errors + r.unexpected === 0) : measured;
      return [v.label, floors.reduce((sum, r) => sum + r.rps, 0) / floors.length];
    }),
  );
  const floorRps = Math.min(...floorOf.values());

  // The dashboard's first load after the roll-ups changed (what kept results do not cover): one
  // request at a time, each after a new generation, as the minute job leaves it when anything counted.
  const firstLoads: number[] = [];
  const yearCase = chosen.find((c) => c.name.startsWith("statistics, every department, this year"));
  if (yearCase) {
    for (let i = 0; i < 21; i++) {
      await pool.query("UPDATE statistics_generation SET generation = gen_random_uuid()");
      const started = performance.now();
      const response = await fetch(`${variants[0].base}${yearCase.path as string}`, { headers: { cookie: cookies.comms } });
      await response.arrayBuffer();
      if (i > 0) firstLoads.push(performance.now() - started); // the first warms the connection
    }
    firstLoads.sort((a, b) => a - b);
  }
  const firstLoad = firstLoads.length
    ? { p50: Number(firstLoads[Math.floor(firstLoads.length / 2)].toFixed(1)), p95: Number(firstLoads[Math.ceil(firstLoads.length * 0.95) - 1].toFixed(1)) }
    : null;

  // The table, then the targets.
  const misses: string[] = [];
  /** A page against the floor measured beside it; the references against the floor's mean. */
  const ratioOf = (r: (typeof results)[number]) => r.rps / (r.floorBeside ?? floorOf.get(r.label) ?? floorRps);
  const rows = results.map((r) => {
    const ratio = ratioOf(r);
    const page = !r.reference && !r.notKept && !r.name.startsWith("floor") && r.p95Ms === undefined;
    const p95Target = r.p95Ms ?? TARGET_P95_MS;
    const problems = [
      page && ratio < TARGET_RATIO ? `< ${TARGET_RATIO}x floor` : "",
      !r.name.startsWith("ceiling") && !r.notKept && r.p95 >= p95Target ? `p95 >= ${p95Target} ms${r.connections ? ` at ${r.connections} connections` : ""}` : "",
      r.errors + r.unexpected > 0 ? "errors" : "",
      !r.name.startsWith("ceiling") && r.rssMb >= TARGET_MEMORY_MB ? `RSS >= ${TARGET_MEMORY_MB} MB` : "",
    ].filter(Boolean);
    if (problems.length) misses.push(`${r.name}: ${problems.join(", ")}`);
    const isCeiling = r.name.startsWith("ceiling");
    return [r.name, r.rps.toFixed(0), r.floorBeside ? r.floorBeside.toFixed(0) : "", ratio.toFixed(2), String(r.p50), String(r.p95), String(r.p99), String(r.errors), String(r.unexpected), isCeiling ? "" : r.rssMb.toFixed(0), isCeiling ? "" : r.cpuMs.toFixed(1), isCeiling ? "" : r.pgCpuMs.toFixed(1), problems.length ? "MISS" : r.notKept ? "(no target)" : "ok"];
  });
  if (floorRps < TARGET_FLOOR_RPS) misses.push(`floor: ${floorRps.toFixed(0)} req/s < ${TARGET_FLOOR_RPS}`);
  if (peakMb >= TARGET_MEMORY_MB) misses.push(`server peak memory ${peakMb.toFixed(0)} MB >= ${TARGET_MEMORY_MB}`);
  const head = ["page", "req/s", "floor beside", "x floor", "p50 ms", "p95 ms", "p99 ms", "errors", "non-expected", "RSS MB", "CPU ms/req", "PG ms/req", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(`\n${CONNECTIONS} connections, ${DURATION} s each after ${WARMUP_SECONDS} s of warm-up, median of ${ROUNDS} round(s); floor = ${[...floorOf].map(([l, f]) => `${f.toFixed(0)}${l}`).join(", ")} req/s (mean of first and last; a page's ratio is to the floor measured in turns with it, ${SLICE_SECONDS} s each, "floor beside"; the median round by that ratio)`);
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  console.log(`server peak resident memory (VmHWM): ${peakMb.toFixed(0)} MB`);
  const year = results.find((r) => r.name.startsWith("statistics, every department, this year"));
  const empty = results.find((r) => r.name.startsWith("statistics, every department, empty year"));
  if (year && empty) {
    console.log(
      `statistics at ${year.connections} connections: this year p95 ${year.p95} ms, empty year p95 ${empty.p95} ms (x${(year.p95 / empty.p95).toFixed(2)}); ` +
        `server CPU ${year.cpuMs} / ${empty.cpuMs} ms per request (x${(year.cpuMs / empty.cpuMs).toFixed(2)})`,
    );
  }
  if (firstLoad) console.log(`statistics, this year, first load after a roll-up change (one request at a time, ${firstLoads.length} loads): p50 ${firstLoad.p50} ms, p95 ${firstLoad.p95} ms`);
  console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, node ${process.version}; load tool on the same cores`);

  const json = results.flatMap((r) => {
    const ratio = Number(ratioOf(r).toFixed(3));
    return [
      { name: `${r.name} req/s`, value: Number(r.rps.toFixed(1)), unit: "req/s", ratio },
      ...(r.floorBeside ? [{ name: `${r.name} floor beside req/s`, value: Number(r.floorBeside.toFixed(1)), unit: "req/s", ratio: null }] : []),
      { name: `${r.name} p50`, value: r.p50, unit: "ms", ratio: null },
      { name: `${r.name} p95`, value: r.p95, unit: "ms", ratio: null },
      { name: `${r.name} p99`, value: r.p99, unit: "ms", ratio: null },
      { name: `${r.name} errors`, value: r.errors + r.unexpected, unit: "count", ratio: null },
      ...(r.name.startsWith("ceiling")
        ? []
        : [
            { name: `${r.name} server CPU per request`, value: r.cpuMs, unit: "ms", ratio: null },
            { name: `${r.name} PostgreSQL CPU per request`, value: r.pgCpuMs, unit: "ms", ratio: null },
          ]),
    ];
  });
  if (firstLoad) {
    json.push({ name: "statistics, this year, first load after a roll-up change p50", value: firstLoad.p50, unit: "ms", ratio: null });
    json.push({ name: "statistics, this year, first load after a roll-up change p95", value: firstLoad.p95, unit: "ms", ratio: null });
  }
  json.push({ name: "server peak resident memory", value: Number(peakMb.toFixed(0)), unit: "MB", ratio: null });
  fs.mkdirSync(path.join(root, "bench"), { recursive: true });
  fs.writeFileSync(path.join(root, "bench", "results.json"), `${JSON.stringify(json, null, 2)}\n`);

  if (misses.length) console.log(`\ntargets missed:\n  ${misses.join("\n  ")}`);
  else console.log("\nall HTTP targets met");
  process.exitCode = misses.length ? 1 : 0;

  if (profiling) {
    await stop(server);
    printProfile(profileDir);
  }
} finally {
  await cleanUp();
}
