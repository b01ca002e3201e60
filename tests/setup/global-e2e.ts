import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { freePort, startEmbeddedPostgres } from "../../db/embedded";
import { chromiumPath } from "../e2e/browser";

declare module "vitest" {
  export interface ProvidedContext {
    e2eBaseUrl: string;
    e2eDataDir: string;
    /** The running server's database, for fixtures (signInAs) that set things up without the UI. */
    e2eDatabaseUrl: string;
    e2eSmtpPort: number;
    e2eSkip: boolean;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The environment without vitest's variables, which would change how the build and server behave. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "TEST")) as NodeJS.ProcessEnv;
}

/** Builds the app when the build is older than the sources (always under CI). */
function ensureBuild() {
  const built = "build/server/index.js";
  const stale = !fs.existsSync(built) || process.env.CI === "true" || newestMtime("app") > fs.statSync(built).mtimeMs;
  if (!stale) return;
  // As `npm run build` does: vitest's NODE_ENV=test would give React's development client.
  const result = spawnSync("npx", ["remix", "vite:build"], { stdio: ["ignore", "ignore", "inherit"], env: { ...cleanEnv(), NODE_ENV: "production" } });
  if (result.status !== 0) throw new Error("remix vite:build failed");
}

/**
 * End-to-end runs serve the real build through scripts/server.ts (embedded PostgreSQL in a temp
 * folder, demo organisation seeded, worker in-process), as a person would start it.
 */
export default async function setup(project: TestProject) {
  const browser = chromiumPath();
  if (!browser) {
    if (process.env.CI === "true") throw new Error("Chromium introuvable (CHROMIUM_PATH ou /usr/bin/chromium) : les tests de bout en bout ne peuvent pas tourner en CI.");
    console.warn("\n\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n" +
      "!!  Chromium introuvable : tests de bout en bout IGNORÉS.          !!\n" +
      "!!  apt-get install chromium, ou CHROMIUM_PATH=/chemin/chromium   !!\n" +
      "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n");
    project.provide("e2eSkip", true);
    project.provide("e2eBaseUrl", "");
    project.provide("e2eDataDir", "");
    project.provide("e2eDatabaseUrl", "");
    project.provide("e2eSmtpPort", 0);
    return;
  }
  ensureBuild();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "relais-e2e-"));
  fs.chmodSync(dataDir, 0o755);
  const [port, smtpPort] = [await freePort(), await freePort()];
  const baseUrl = `http://localhost:${port}`;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/server.ts", "--demo"], {
    env: {
      ...cleanEnv(),
      NODE_ENV: "production",
      PORT: String(port),
      DATA_DIR: dataDir,
      UPLOADS_DIR: path.join(dataDir, "uploads"),
      PUBLIC_URL: baseUrl,
      // Lets a test pose as another address (X-Forwarded-For) for the throttling checks.
      TRUST_PROXY: "true",
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(smtpPort),
      SMTP_SECURE: "false",
      MAIL_FROM: "Relais <relais@e2e.test>",
      // Channel secrets are sealed with it; the demo would make one, but the e2e run sets it as production does.
      SECRETS_KEY: randomBytes(32).toString("base64"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 120_000);
    const check = setInterval(() => {
      if (output.includes("Relais est prêt")) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 100);
    child.once("exit", () => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`server exited:\n${output}`));
    });
  });
  child.removeAllListeners("exit");
  project.provide("e2eSkip", false);
  project.provide("e2eBaseUrl", baseUrl);
  project.provide("e2eDataDir", dataDir);
  // The server's own embedded PostgreSQL, reached as the CLI reaches it (attach: it stays the server's).
  const database = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pg"), attach: true });
  project.provide("e2eDatabaseUrl", database.url);
  project.provide("e2eSmtpPort", smtpPort);

  return async () => {
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 20_000).unref();
    });
    if (process.env.E2E_SERVER_LOG) console.log(output);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
