/**
 * The Relais server: starts the embedded PostgreSQL when no DATABASE_URL is given, migrates,
 * optionally seeds the demo organisation, runs the job worker in-process and serves the app.
 * SIGINT/SIGTERM stop them in order within 10 s (scripts/shutdown.ts): no new connection, requests
 * in flight finished, worker's jobs finished or released, pools closed, database stopped.
 *
 *   tsx scripts/server.ts            production build (run `npm run build` first)
 *   tsx scripts/server.ts --dev      Vite dev server with hot reload
 *   tsx scripts/server.ts --demo     build present, demo data seeded on first run
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import type { Runner } from "graphile-worker";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../db/embedded";
import { migrateToLatest, quietLogger } from "../db/migrate";
import { closeSharedDb, createDb, sharedDb } from "../db/pool";
import { configurationOrExit, defaultNodeEnv, poolOptions, setDatabaseUrl, setSecretsKey } from "../app/env.server";
import { errorHandler, hostGuard, methodGuard } from "../app/server/requests.server";
import { originCheck, securityHeaders } from "../app/server/security.server";
import { drainHttp, drainingHeader, exitAfterBudget, graphileWorkerShutdownOptions, workerStopper } from "./shutdown";

const args = new Set(process.argv.slice(2));
const dev = args.has("--dev");
const demo = args.has("--demo");
defaultNodeEnv(dev);
const settings = configurationOrExit();
if ((demo || settings.RELAIS_DEMO) && !settings.SECRETS_KEY) {
  // The demo works without configuration: its channel secrets get a key of its own data folder.
  const { demoSecretsKey } = await import("../app/publishing/secrets.server");
  setSecretsKey(demoSecretsKey(settings.DATA_DIR));
}
const log = (line: string) => console.log(`[relais] ${line}`);

let embedded: EmbeddedPostgres | undefined;
let databaseUrl = settings.DATABASE_URL;
if (!databaseUrl) {
  embedded = await startEmbeddedPostgres({ dataDir: path.join(settings.DATA_DIR, "pg"), log, ownProcessGroup: true });
  databaseUrl = embedded.url;
  log(`PostgreSQL intégré démarré (127.0.0.1:${embedded.port}, données dans ${embedded.dataDir})`);
}
setDatabaseUrl(databaseUrl);

try {
  const applied = await migrateToLatest(databaseUrl);
  if (applied.length) log(`migrations appliquées : ${applied.join(", ")}`);
} catch (error) {
  console.error(`[relais] ${(error as Error).message}`);
  await embedded?.stop();
  process.exit(1);
}

sharedDb(databaseUrl, poolOptions(settings)); // the app's pool, opened before the worker and the first request
let demoLogins: string | undefined;
if (demo || settings.RELAIS_DEMO) {
  const { seedDemo } = await import("./seed-demo");
  demoLogins = await seedDemo();
}

// The worker runs here unless it has its own process (`npm run worker`, RUN_WORKER=false here).
// Its own few connections (its LISTEN holds one for good), so that requests keep the app's pool;
// the jobs themselves query through the app's pool like any request.
const workerDb = settings.RUN_WORKER ? createDb(databaseUrl, { ...poolOptions(settings), max: 3 }) : undefined;
// Imported only when it runs here: the job graph is loaded from the TypeScript sources beside the
// build (~30 MB of heap), which a web-only instance does not need.
let worker: Runner | undefined;
if (settings.RUN_WORKER) {
  const [{ run }, { taskList, crontab }] = await Promise.all([import("graphile-worker"), import("../app/jobs/tasks.server")]);
  worker = await run({
    pgPool: workerDb!.pool,
    taskList,
    crontab,
    concurrency: 2,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: quietLogger,
    ...graphileWorkerShutdownOptions,
  });
}
const stopWorker = worker ? workerStopper(worker, workerDb!.pool) : undefined;

let stopping = false;
const app = express();
const server = http.createServer(app);
app.disable("x-powered-by");
app.use(drainingHeader(() => stopping));
app.set("trust proxy", settings.TRUST_PROXY);
app.use(securityHeaders({ dev }));
app.use(hostGuard());
app.use(methodGuard());
app.use(originCheck());
if (settings.LOG_REQUESTS) {
  app.use((req, res, next) => {
    const start = Date.now();
    res.on("finish", () => console.log(`${req.method} ${req.originalUrl} ${res.statusCode} ${Date.now() - start}ms`));
    next();
  });
}

let build: ServerBuild | (() => Promise<ServerBuild>);
if (dev) {
  const vite = await import("vite");
  // Hot reload over the same HTTP server (and port) as the app.
  const viteServer = await vite.createServer({ server: { middlewareMode: true, hmr: { server } } });
  app.use(viteServer.middlewares);
  build = () => viteServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
} else {
  const buildDir = path.resolve("build");
  try {
    build = await import(path.join(buildDir, "server", "index.js"));
  } catch {
    console.error("[relais] Pas de build : lancez « npm run build » d'abord (ou « npm run dev »).");
    await shutdownServices();
    process.exit(1);
  }
  const clientDir = path.join(buildDir, "client");
  app.use("/assets", express.static(path.join(clientDir, "assets"), { immutable: true, maxAge: "1y", index: false }));
  // The few other files (public/: favicon…) by name, listed once: express.static looked every page's
  // URL up on disk first (a failed stat and an error object per request, 3–6 % of the server's CPU).
  const publicFiles = new Set(
    fs
      .readdirSync(clientDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => `/${path.relative(clientDir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/")}`)
      .filter((file) => !file.startsWith("/assets/")),
  );
  const servePublic = express.static(clientDir, { maxAge: "1h", index: false });
  app.use((req, res, next) => (publicFiles.has(req.path) ? servePublic(req, res, next) : next()));
}

app.all(
  "*",
  createRequestHandler({
    build,
    mode: dev ? "development" : "production",
    getLoadContext: (req, res) => ({
      cspNonce: res.locals.cspNonce as string,
      clientIp: req.ip ?? "unknown",
      // A whole page, unless the router asks for data: single fetch's `.data`, `?_data=` of older clients.
      wholePage: !req.path.endsWith(".data") && req.query._data === undefined,
    }),
  }),
);
app.use(errorHandler({ dev }));

server.listen(settings.PORT, settings.HOST, () => {
  const url = `http://${settings.HOST === "127.0.0.1" || settings.HOST === "0.0.0.0" ? "localhost" : settings.HOST}:${settings.PORT}`;
  log(`Relais est prêt : ${url}`);
  if (demoLogins) console.log(demoLogins);
});
server.on("error", async (error: NodeJS.ErrnoException) => {
  console.error(
    error.code === "EADDRINUSE"
      ? `[relais] Le port ${settings.PORT} est déjà utilisé : choisissez-en un autre avec PORT=3001.`
      : `[relais] ${error.message}`,
  );
  await shutdownServices();
  process.exit(1);
});

async function shutdownServices() {
  await stopWorker?.();
  await workerDb?.db.destroy().catch(() => {});
  await closeSharedDb().catch(() => {});
  await embedded?.stop();
}

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  exitAfterBudget(log);
  log(`${signal} reçu : arrêt…`);
  // The worker stops while the requests drain: both share the 10 s.
  const jobs = stopWorker ? stopWorker() : Promise.resolve("finished" as const);
  const drained = await drainHttp(server);
  if (!drained) log("des requêtes n'ont pas fini à temps : connexions fermées.");
  if ((await jobs) === "released") log("des tâches n'ont pas fini à temps : rendues pour être reprises.");
  await workerDb?.db.destroy().catch(() => {});
  await closeSharedDb().catch(() => {});
  await embedded?.stop();
  log("arrêté proprement.");
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
// The terminal closed: as a Ctrl-C (the embedded PostgreSQL, in its own session, would stay up).
process.on("SIGHUP", () => void shutdown("SIGHUP"));
