import { spawn } from "node:child_process";
import net from "node:net";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../db/embedded";
import { db } from "~/db.server";
import { enqueue } from "~/jobs/queue.server";

// SIGTERM to `npm run worker` while a job is in hand: the job may finish within the grace (5 s),
// or is released to be retried; either way the worker exits within 10 s. The job here sends a mail
// to an SMTP server that greets late (2 s) or never: a job that takes its time, for real.

let smtpPort: number;
let greetAfterMs = 2000;
const sessions = new Set<net.Socket>();
let server: net.Server;
let delivered = 0;

/** Just enough SMTP for nodemailer, after a greeting delayed by greetAfterMs (never when Infinity). */
function smtpSession(socket: net.Socket) {
  sessions.add(socket);
  socket.on("close", () => sessions.delete(socket));
  socket.on("error", () => {});
  let inData = false;
  let buffer = "";
  socket.on("data", (chunk) => {
    buffer += chunk.toString("latin1");
    let end: number;
    while ((end = buffer.indexOf("\r\n")) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (inData) {
        if (line === ".") {
          inData = false;
          delivered++;
          socket.write("250 OK\r\n");
        }
        continue;
      }
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === "EHLO" || verb === "HELO") socket.write("250 localhost\r\n");
      else if (verb === "DATA") {
        inData = true;
        socket.write("354 go\r\n");
      } else if (verb === "QUIT") socket.end("221 bye\r\n");
      else socket.write("250 OK\r\n");
    }
  });
  if (Number.isFinite(greetAfterMs)) setTimeout(() => !socket.destroyed && socket.write("220 localhost ESMTP\r\n"), greetAfterMs);
}

beforeAll(async () => {
  smtpPort = await freePort();
  server = net.createServer(smtpSession);
  await new Promise<void>((resolve) => server.listen(smtpPort, "127.0.0.1", resolve));
});
afterAll(async () => {
  for (const socket of sessions) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const jobs = async () =>
  (
    await sql<{ attempts: number; locked_at: Date | null; last_error: string | null }>`
      SELECT attempts, locked_at, last_error FROM graphile_worker.jobs WHERE task_identifier = 'send_email'`.execute(db())
  ).rows;

async function startWorker() {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], {
    env: { ...process.env, SMTP_HOST: "127.0.0.1", SMTP_PORT: String(smtpPort), SMTP_SECURE: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once("exit", (code) => resolve({ code, at: Date.now() })));
  return { child, output: () => output, exited };
}

/** Waits until the worker has taken the job (it is locked) and is talking to the SMTP server. */
async function untilInHand() {
  for (let i = 0; i < 300; i++) {
    const rows = await jobs();
    if (rows.length === 1 && rows[0].locked_at && sessions.size > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the worker never took the job");
}

describe("npm run worker stops within 10 s on SIGTERM", () => {
  it("a job in hand that ends within the grace is finished before the exit", async () => {
    greetAfterMs = 2000;
    delivered = 0;
    await enqueue(db(), "send_email", { to: "lent@example.org", subject: "Patience", text: "Bonjour." });
    const worker = await startWorker();
    await untilInHand();
    const sentAt = Date.now();
    worker.child.kill("SIGTERM");
    const exit = await worker.exited;
    expect(exit.code, worker.output()).toBe(0);
    expect(exit.at - sentAt).toBeLessThan(10_000);
    expect(delivered).toBe(1);
    expect(await jobs(), `${exit.at - sentAt} ms\n${worker.output()}`).toEqual([]);
    expect(worker.output()).toContain("worker arrêté proprement.");
    expect(worker.output()).not.toContain("rendues pour être reprises");
  }, 60_000);

  it("a job that would take longer is released (unlocked, to be retried at once); the exit still within 10 s", async () => {
    greetAfterMs = Infinity;
    delivered = 0;
    await enqueue(db(), "send_email", { to: "bloque@example.org", subject: "Jamais", text: "Bonjour." });
    const worker = await startWorker();
    await untilInHand();
    const sentAt = Date.now();
    worker.child.kill("SIGTERM");
    const exit = await worker.exited;
    expect(exit.code, worker.output()).toBe(0);
    expect(exit.at - sentAt).toBeLessThan(10_000);
    expect(exit.at - sentAt).toBeGreaterThan(4_500); // it did wait for the job first (5 s)
    expect(worker.output()).toContain("rendues pour être reprises");
    expect(delivered).toBe(0);
    // Still queued, no longer locked by the stopped worker: another (or this one, restarted) takes it.
    const [job] = await jobs();
    expect(job, worker.output()).toMatchObject({ attempts: 1, locked_at: null });
  }, 60_000);
});
