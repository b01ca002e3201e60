import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { freePort } from "../../db/embedded";

// Several Relais processes against one database, as a deployment past one machine runs them:
// web instances (scripts/server.ts on the production build, RUN_WORKER=false) and workers
// (scripts/worker.ts), each with its own folders so that nothing is shared but the database and
// the bucket.

export interface Instance {
  child: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  /** Resolves with the exit code and when the process exited (Date.now()). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stop: () => Promise<void>;
}

/** A new empty database on the e2e run's PostgreSQL (the instances migrate it as they start). */
export async function newDatabase(): Promise<string> {
  const adminUrl = inject("e2eDatabaseUrl").replace(/\/[^/]+$/, "/postgres");
  const name = `relais_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("VITEST") && !["TEST", "NODE_ENV", "DATABASE_URL", "UPLOADS_DIR", "DATA_DIR", "STORAGE"].includes(k)) env[k] = v;
  }
  return env;
}

async function spawnRelais(script: string, ready: string, settings: Record<string, string>, port = 0): Promise<Instance> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relais-instance-"));
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...cleanEnv(), NODE_ENV: "production", ...(port ? { PORT: String(port) } : {}), DATA_DIR: dir, UPLOADS_DIR: path.join(dir, "uploads"), ...settings },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => {
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, at: Date.now() });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output}`)), 90_000);
    const check = setInterval(() => {
      if (!output.includes(ready)) return;
      clearInterval(check);
      clearTimeout(timer);
      resolve();
    }, 50);
    void exited.then(() => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`${script} exited:\n${output}`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A web instance (production build, no worker) on a free port. */
export async function startInstance(settings: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  return spawnRelais("scripts/server.ts", "Relais est prêt", { RUN_WORKER: "false", ...settings }, port);
}

/** A job worker on its own (npm run worker). */
export async function startWorker(settings: Record<string, string>): Promise<Instance> {
  return spawnRelais("scripts/worker.ts", "worker prêt", settings);
}
