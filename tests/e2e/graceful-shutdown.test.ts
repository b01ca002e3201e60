import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../db/embedded";
import { newDatabase, startInstance, type Instance } from "./instances";

// SIGTERM under load: the instance stops accepting connections, serves the requests that reach it
// on connections it had accepted (kept-alive ones included), finishes every request in flight (even one whose body takes 5.5 s more to arrive: longer than the 5 s the server used
// to allow), stops its worker, closes its pool and exits within 10 s.

type Outcome =
  | { kind: "answered"; status: number; path: string; startedAt: number; endedAt: number }
  | { kind: "refused"; startedAt: number }
  | { kind: "failed"; error: string; path: string; startedAt: number };

/**
 * One request, on a connection of `agent` (a new one when false); "refused" only when opening a
 * connection was refused.
 */
function request(port: number, method: string, path: string, agent: http.Agent | false, body?: { chunks: string[]; everyMs: number }): Promise<Outcome> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const length = body ? Buffer.byteLength(body.chunks.join("")) : 0;
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent,
        headers: {
          ...(body
            ? { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(length), Origin: `http://127.0.0.1:${port}` }
            : {}),
        },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ kind: "answered", status: response.statusCode!, path, startedAt, endedAt: Date.now() }));
        response.on("error", (error) => resolve({ kind: "failed", error: `${error.message} (réponse)`, path, startedAt }));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      resolve(error.code === "ECONNREFUSED" ? { kind: "refused", startedAt } : { kind: "failed", error: `${error.code ?? ""} ${error.message}`, path, startedAt }),
    );
    if (!body) return void req.end();
    // The body trickles in: the request is in the app's hands (headers read) until its last byte.
    let sent = 0;
    const next = () => {
      if (sent === body.chunks.length) return void req.end();
      req.write(body.chunks[sent++]);
      setTimeout(next, body.everyMs);
    };
    next();
  });
}

let instance: Instance | undefined;
afterAll(async () => {
  await instance?.stop();
});

describe.skipIf(inject("e2eSkip"))("graceful shutdown", () => {
  it("SIGTERM under load: no accepted request fails, slow ones finish, new connections are refused, exit within 10 s", async () => {
    instance = await startInstance({ DATABASE_URL: await newDatabase(), RUN_WORKER: "true" });
    const { port } = instance;

    // Slow: sign-in attempts whose bodies take 6.5 s to arrive (13 chunks, 500 ms apart).
    const form = "email=personne%40example.org&password=mauvais-mot-de-passe&redirectTo=%2F";
    const chunks = Array.from({ length: 13 }, (_, i) => form.slice((i * form.length) / 13, ((i + 1) * form.length) / 13));
    const slow = Array.from({ length: 6 }, () => request(port, "POST", "/login", false, { chunks, everyMs: 500 }));

    // Fast: 16 clients asking for the sign-in page back to back over kept-alive connections, as a
    // load balancer does, until the server refuses them a new connection.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    let sigtermAt = Infinity;
    const fast: Outcome[] = [];
    const clients = Array.from({ length: 16 }, async () => {
      for (;;) {
        const outcome = await request(port, "GET", "/login", agent);
        fast.push(outcome);
        if (outcome.kind === "refused" || Date.now() > sigtermAt + 12_000) return;
      }
    });

    await new Promise((resolve) => setTimeout(resolve, 1000));
    sigtermAt = Date.now();
    instance.child.kill("SIGTERM");

    const [slowOutcomes] = await Promise.all([Promise.all(slow), Promise.all(clients)]);
    const exit = await instance.exited;
    agent.destroy();

    const output = instance.output();
    expect(exit.code, output).toBe(0);
    expect(exit.at - sigtermAt, output).toBeLessThan(10_000);
    expect(output).toContain("arrêté proprement");

    // Every slow request was answered by the app (a refused sign-in), none cut.
    expect(slowOutcomes.map((o) => (o.kind === "answered" ? o.status < 500 : o))).toEqual(slowOutcomes.map(() => true));
    // …though they were still in flight more than 5 s after the signal.
    for (const o of slowOutcomes) if (o.kind === "answered") expect(o.endedAt - sigtermAt).toBeGreaterThan(5_000);

    const failed = fast
      .filter((o) => o.kind === "failed" || (o.kind === "answered" && o.status >= 500))
      .map((o) => ({ ...o, msAfterSigterm: o.startedAt - sigtermAt }));
    expect(failed).toEqual([]);
    const answered = fast.filter((o) => o.kind === "answered");
    expect(answered.length).toBeGreaterThan(16);
    expect(answered.every((o) => o.kind === "answered" && o.status === 200)).toBe(true);
    // Refused only once stopping: it stopped accepting, and not before.
    const refused = fast.filter((o) => o.kind === "refused");
    expect(refused.length).toBe(16);
    expect(refused.every((o) => o.startedAt >= sigtermAt)).toBe(true);
  }, 120_000);

  it("Ctrl-C in a terminal (SIGINT to the whole group): the embedded PostgreSQL, in a group of its own, is stopped by Relais after its worker", async () => {
    // As `npm start` without DATABASE_URL, run from a terminal: the server leads the terminal's group.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "relais-ctrl-c-"));
    fs.chmodSync(dataDir, 0o755); // PostgreSQL's own user (when run as root) may enter it
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", DATA_DIR: dataDir, PORT: String(await freePort()), RUN_WORKER: "true" };
    const server = spawn(process.execPath, ["--import", "tsx", "scripts/server.ts"], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    server.stdout!.on("data", (c) => (output += c));
    server.stderr!.on("data", (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
    try {
      for (let waited = 0; !output.includes("Relais est prêt"); waited += 100) {
        if (waited > 90_000 || server.exitCode !== null) throw new Error(`the server did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const clusterDir = /données dans (\S+)\)/.exec(output)![1];
      const postgresPid = Number(fs.readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0]);
      const groupOf = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[2]);
      expect(groupOf(server.pid!)).toBe(server.pid);
      expect(groupOf(postgresPid)).not.toBe(server.pid);

      process.kill(-server.pid!, "SIGINT");
      expect(await exited).toBe(0);
      expect(output).toContain("arrêté proprement");
      // Nothing failed on the way out (the worker's connections were closed before PostgreSQL stopped).
      expect(output).not.toMatch(/error|erreur|UNLISTEN/i);
      expect(fs.existsSync(path.join(clusterDir, "postmaster.pid"))).toBe(false);
      expect(() => process.kill(postgresPid, 0)).toThrow();
    } finally {
      if (server.exitCode === null) process.kill(-server.pid!, "SIGKILL");
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
