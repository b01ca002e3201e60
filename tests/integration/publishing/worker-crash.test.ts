import { spawn, type ChildProcess } from "node:child_process";
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "~/db.server";
import { createPublication } from "~/publishing/queue.server";
import { startMastodon, type MastodonStandin } from "../../standins/mastodon";
import { channel, comms, publicationRow, publishable } from "./fixtures";

// The real worker (scripts/worker.ts, what `npm run worker` runs) in its own process, killed with
// SIGKILL while the Mastodon stand-in holds its answer to the status it has just posted: the
// worker never learns that it posted. A second worker must finish the delivery without a second
// post.

let mastodon: MastodonStandin;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  mastodon = await startMastodon();
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
  await mastodon.close();
});

function startWorker(): { process: ChildProcess; output: () => string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "TEST"));
  // Node itself (not npm, which would leave its child running when killed).
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], { env: { ...env, NODE_ENV: "production" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  workers.push(child);
  return { process: child, output: () => output };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, output?: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output?.() ?? ""}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

it("gives exactly one post when the worker is killed during a delivery and restarted", { timeout: 150_000 }, async () => {
  const { actor } = await comms();
  const ch = await channel(actor, { kind: "mastodon", instanceUrl: mastodon.url, accessToken: mastodon.token });
  const c = await publishable();
  const p = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
  // The stand-in posts the status, then keeps its answer for a minute.
  mastodon.fail("POST /api/v1/statuses", { status: 200, passThrough: true, delayMs: 60_000 });
  await db().updateTable("publication").set({ scheduled_at: sql`now() - interval '1 minute'` }).where("id", "=", p.id).execute();
  await sql`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE key = ${`publication:${p.id}`}`.execute(db());

  const first = startWorker();
  await until("the status to be posted", () => mastodon.statuses.length === 1, 60_000, first.output);
  expect((await publicationRow(p.id)).state).toBe("publishing");
  first.process.kill("SIGKILL");
  await new Promise((resolve) => first.process.once("exit", resolve));

  const second = startWorker();
  await until("the publication to be published", async () => (await publicationRow(p.id)).state === "published", 90_000, second.output);
  const row = await publicationRow(p.id);
  expect(mastodon.statuses).toHaveLength(1);
  expect(row.remote_url).toBe(mastodon.statuses[0].url);
  expect(row.attempts).toBe(2);
  const keys = mastodon.calls("POST /api/v1/statuses").map((r) => r.headers["idempotency-key"]);
  expect(keys).toEqual([row.idempotency_key, row.idempotency_key]);

  second.process.kill("SIGTERM");
  await new Promise((resolve) => second.process.once("exit", resolve));
});
