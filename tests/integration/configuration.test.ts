import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../db/embedded";
import { parseTrustProxy } from "~/env.server";

interface Exit {
  code: number | null;
  output: string;
}

/** Starts an entry with some settings; one that is still running after `ms` is stopped (code null). */
async function start(entry: string, args: string[], settings: Record<string, string>, ms = 20_000): Promise<Exit> {
  const port = String(await freePort());
  const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    env: { ...process.env, PORT: port, RUN_WORKER: "false", ...settings },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

function expectRefused(exit: Exit, variable: string, expected: RegExp) {
  expect(exit.code, exit.output).toBe(1);
  expect(exit.output).toContain("Configuration invalide");
  expect(exit.output).toMatch(new RegExp(`${variable}=« .* » : attendu`));
  expect(exit.output).toMatch(expected);
  expect(exit.output).not.toMatch(/\n\s+at |Relais est prêt|worker prêt/);
}

describe("configuration is checked at start", () => {
  it("the server refuses a wrong MAX_UPLOAD_MB, DATABASE_POOL_MAX, PORT or TRUST_PROXY, naming it", async () => {
    expectRefused(await start("scripts/server.ts", [], { MAX_UPLOAD_MB: "vingt" }), "MAX_UPLOAD_MB", /mégaoctets/);
    for (const bad of ["0", "-3", "deux", "2.5"]) {
      expectRefused(await start("scripts/server.ts", [], { DATABASE_POOL_MAX: bad }), "DATABASE_POOL_MAX", /nombre entier de connexions/);
    }
    expectRefused(await start("scripts/server.ts", [], { PORT: "99999" }), "PORT", /numéro de port/);
    expectRefused(await start("scripts/server.ts", [], { TRUST_PROXY: "oui" }), "TRUST_PROXY", /nombre de proxys/);
  }, 180_000);

  it("lists every wrong setting at once", async () => {
    const exit = await start("scripts/server.ts", [], { MAX_UPLOAD_MB: "0", DATABASE_STATEMENT_TIMEOUT_MS: "5s", LOG_REQUESTS: "peut-être" });
    expectRefused(exit, "MAX_UPLOAD_MB", /DATABASE_STATEMENT_TIMEOUT_MS=« 5s » : attendu un nombre entier de millisecondes/);
    expect(exit.output).toContain("LOG_REQUESTS=« peut-être » : attendu true ou false");
  }, 60_000);

  it("the worker and the command line refuse it too, before touching the database", async () => {
    expectRefused(await start("scripts/worker.ts", [], { DATABASE_POOL_MAX: "beaucoup" }), "DATABASE_POOL_MAX", /de 1 à 1000/);
    expectRefused(await start("scripts/relais.ts", ["db:migrate"], { MAX_UPLOAD_MB: "-1" }), "MAX_UPLOAD_MB", /mégaoctets/);
  }, 60_000);
});

describe("TRUST_PROXY", () => {
  it("becomes what express expects: a hop count, true/false, or addresses", () => {
    expect(parseTrustProxy("1")).toBe(1);
    expect(parseTrustProxy("2")).toBe(2);
    expect(parseTrustProxy("0")).toBe(false);
    expect(parseTrustProxy("true")).toBe(true);
    expect(parseTrustProxy("false")).toBe(false);
    expect(parseTrustProxy("127.0.0.1")).toEqual(["127.0.0.1"]);
    expect(parseTrustProxy("loopback, 10.0.0.0/8, fd00::/8")).toEqual(["loopback", "10.0.0.0/8", "fd00::/8"]);
    for (const bad of ["yes", "1.5", "10.0.0.0/33", "proxy.example.org", "127.0.0.1,", "-1"]) expect(parseTrustProxy(bad), bad).toBeUndefined();
  });
});

describe("env.server.ts", () => {
  it("is the only reader of process.env in the app, the entries and the pool", () => {
    const sources = [
      ...fs.readdirSync("app", { recursive: true, encoding: "utf8" }).map((f) => path.join("app", f)),
      ...["scripts/server.ts", "scripts/worker.ts", "scripts/relais.ts", "scripts/database.ts", "db/pool.ts", "db/migrate.ts"],
    ].filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f));
    const readers = sources.filter((f) => fs.readFileSync(f, "utf8").includes("process.env"));
    expect(readers).toEqual([path.join("app", "env.server.ts")]);
  });
});
