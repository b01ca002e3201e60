import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedPostgresError, freePort, sharedBuffersMb, startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "relais-embedded-test-"));
fs.chmodSync(root, 0o755);
const started: EmbeddedPostgres[] = [];
afterAll(async () => {
  for (const s of started) {
    await s.stop();
    if (!s.dataDir.startsWith(root)) fs.rmSync(s.dataDir, { recursive: true, force: true }); // the fallback folder
  }
  fs.rmSync(root, { recursive: true, force: true });
});

async function query(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe("embedded PostgreSQL", () => {
  it("recovers after its parent was killed (SIGKILL), keeping the data", async () => {
    const dataDir = path.join(root, "crash");
    // A separate process starts the server, writes a row and is then killed without any cleanup.
    const script = `
      import { startEmbeddedPostgres } from ${JSON.stringify(path.resolve("db/embedded.ts"))};
      import pg from "pg";
      const s = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });
      const c = new pg.Client(s.url); await c.connect();
      await c.query("CREATE TABLE kept (v text)"); await c.query("INSERT INTO kept VALUES ('before the crash')");
      await c.end();
      console.log("READY");
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk) => String(chunk).includes("READY") && resolve());
      child.once("exit", (code) => reject(new Error(`child exited ${code}`)));
    });
    child.removeAllListeners("exit");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const lock = fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n");
    const strayPid = Number(lock[0]);
    expect(() => process.kill(strayPid, 0)).not.toThrow(); // the stray server is still there

    const again = await startEmbeddedPostgres({ dataDir });
    started.push(again);
    expect(await query(again.url, "SELECT v FROM kept")).toEqual([{ v: "before the crash" }]);
    expect(() => process.kill(strayPid, 0)).toThrow(); // stopped cleanly, not left running
  }, 60_000);

  it("refuses a folder a running Relais owns, unless asked to attach to it (the CLI)", async () => {
    const dataDir = path.join(root, "shared");
    const first = await startEmbeddedPostgres({ dataDir });
    started.push(first);
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/Relais tourne déjà/);
    const attached = await startEmbeddedPostgres({ dataDir, attach: true });
    expect(attached.port).toBe(first.port);
    expect(await query(attached.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    await attached.stop(); // attaching never stops the owner's server
    expect(await query(first.url, "SELECT 2 AS two")).toEqual([{ two: 2 }]);
  }, 60_000);

  it("says clearly when the port is taken", async () => {
    const port = await freePort();
    const blocker = net.createServer().listen(port, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    try {
      const error = await startEmbeddedPostgres({ dataDir: path.join(root, "port"), port }).catch((e) => e);
      expect(error).toBeInstanceOf(EmbeddedPostgresError);
      expect(error.message).toBe(`Le port ${port} est déjà pris : choisissez-en un autre (PGPORT) ou libérez-le.`);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it.skipIf(process.getuid?.() !== 0)("as root, moves the data out of a folder the postgres user cannot enter, and says where", async () => {
    const closed = path.join(root, "closed");
    fs.mkdirSync(closed, { mode: 0o700 });
    fs.chmodSync(closed, 0o700);
    const lines: string[] = [];
    const s = await startEmbeddedPostgres({ dataDir: path.join(closed, "inner", "pg"), log: (l) => lines.push(l) });
    started.push(s);
    expect(s.dataDir.startsWith(path.join(os.tmpdir(), "relais-embedded-postgres", "data"))).toBe(true);
    expect(lines.join("\n")).toContain(`données dans ${s.dataDir}`);
    expect(await query(s.url, "SELECT 3 AS three")).toEqual([{ three: 3 }]);
  }, 60_000);

  it("gives PostgreSQL a quarter of the memory for its cache, between 128 MB and 1 GB", () => {
    const GB = 1024 ** 3;
    expect(sharedBuffersMb(2 * GB)).toBe(512);
    expect(sharedBuffersMb(256 * 1024 ** 2)).toBe(128);
    expect(sharedBuffersMb(24 * GB)).toBe(1024);
  });

  it("refuses a data folder that holds something else", async () => {
    const dataDir = path.join(root, "not-a-cluster");
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, "notes.txt"), "à garder");
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/n'est pas vide mais ne contient pas de base PostgreSQL/);
    expect(fs.readFileSync(path.join(dataDir, "notes.txt"), "utf8")).toBe("à garder");
  });
});
