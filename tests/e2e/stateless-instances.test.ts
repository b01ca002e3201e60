import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../db/embedded";
import { createS3Client, type S3Settings } from "~/photos/storage.server";
import { SAMPLE_PHOTOS } from "../fixtures/photos";
import { startS3Standin, type S3Standin } from "../standins/s3";
import { newDatabase, startInstance, startWorker, type Instance } from "./instances";

// Two web instances (RUN_WORKER=false) and one worker, separate processes sharing nothing but one
// PostgreSQL and one S3 bucket: what a deployment behind a load balancer relies on.

const EMAIL = "lea@multi.test";
const PASSWORD = "un mot de passe assez long";

let s3: S3Standin;
let bucket: S3Settings;
let smtp: SMTPServer;
const mails: { to: string[]; raw: string }[] = [];
let databaseUrl: string;
let a: Instance;
let b: Instance;
let worker: Instance;

async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A form POST as a browser on `instance` sends it (same origin), with a cookie when given. */
function post(instance: Instance, pathname: string, body: URLSearchParams | FormData, cookie?: string, headers: Record<string, string> = {}) {
  return fetch(instance.url + pathname, {
    method: "POST",
    body,
    redirect: "manual",
    headers: { Origin: instance.url, ...(cookie ? { Cookie: cookie } : {}), ...headers },
  });
}

function get(instance: Instance, pathname: string, cookie?: string) {
  return fetch(instance.url + pathname, { redirect: "manual", headers: cookie ? { Cookie: cookie } : {} });
}

async function signIn(instance: Instance): Promise<string> {
  const response = await post(instance, "/login", new URLSearchParams({ email: EMAIL, password: PASSWORD, redirectTo: "/my" }));
  expect(response.status).toBe(302);
  return response.headers.get("Set-Cookie")!.split(";")[0];
}

describe.skipIf(inject("e2eSkip"))("stateless instances: two web instances and a worker, one database, one bucket", () => {
  beforeAll(async () => {
    s3 = await startS3Standin();
    bucket = await s3.newBucket();
    const smtpPort = await freePort();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      disableReverseLookup: true,
      onData(stream, session, callback) {
        let raw = "";
        stream.on("data", (c) => (raw += c));
        stream.on("end", () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", resolve));
    databaseUrl = await newDatabase();
    const shared = {
      DATABASE_URL: databaseUrl,
      ...s3.envFor(bucket),
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(smtpPort),
      SMTP_SECURE: "false",
      // Each attempt of the throttle test poses as another address: only the account's counter grows.
      TRUST_PROXY: "true",
    };
    // Both start at once on an empty database: the migrations run once (PostgreSQL lock).
    [a, b] = await Promise.all([startInstance(shared), startInstance(shared)]);
    worker = await startWorker(shared);
    await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "scripts/relais.ts", "user:create", "--email", EMAIL, "--name", "Léa Multi", "--role", "agent", "--department", "Voirie", "--password", PASSWORD],
      { env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: "production" } },
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), worker?.stop()]);
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    await s3?.close();
  });

  it("a session made on one instance works on the other, and ending it on the other ends it everywhere", async () => {
    const cookie = await signIn(a);
    const onB = await get(b, "/my", cookie);
    expect(onB.status).toBe(200);
    expect(await onB.text()).toContain("Léa Multi");
    expect((await get(b, "/my")).status).toBe(302); // without the cookie: sign in first

    expect((await post(b, "/logout", new URLSearchParams(), cookie)).status).toBe(302);
    const afterLogout = await get(a, "/my", cookie);
    expect(afterLogout.status).toBe(302);
    expect(afterLogout.headers.get("Location")).toMatch(/^\/login/);
  });

  it("a photo uploaded through one instance is served by the other, from the bucket", async () => {
    const cookie = await signIn(a);
    const form = new FormData();
    form.append("title", "Travaux rue des Lilas");
    form.append("body", JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Le chantier avance." }] }] }));
    form.append("intent", "save");
    form.append("photos", new Blob([fs.readFileSync(path.join(SAMPLE_PHOTOS, "gps-DSCN0010.jpg"))], { type: "image/jpeg" }), "chantier.jpg");
    const created = await post(a, "/contributions/new", form, cookie);
    expect(created.status, await created.clone().text()).toBe(302);
    const contributionId = Number(/\/contributions\/(\d+)\//.exec(created.headers.get("Location")!)![1]);
    const [photo] = await query<{ id: number }>("SELECT id FROM photo WHERE contribution_id = $1", [contributionId]);
    const [display] = await query<{ file_key: string }>("SELECT file_key FROM photo_rendition WHERE photo_id = $1 AND kind = 'display'", [photo.id]);

    const served = await get(b, `/photos/${photo.id}/display`, cookie);
    expect(served.status).toBe(200);
    expect(served.headers.get("Content-Type")).toBe("image/webp");
    const bytes = Buffer.from(await served.arrayBuffer());
    const object = await createS3Client(bucket).send(new GetObjectCommand({ Bucket: bucket.bucket, Key: display.file_key }));
    expect(bytes.equals(Buffer.from(await object.Body!.transformToByteArray()))).toBe(true);
    // Content-addressed: the key is the hash of the bytes served.
    expect(display.file_key).toContain(createHash("sha256").update(bytes).digest("hex"));
    // Not signed in: nothing.
    expect((await get(b, `/photos/${photo.id}/display`)).status).not.toBe(200);
  });

  it("each job runs once, on the worker (the web instances run none)", async () => {
    const subjects = Array.from({ length: 6 }, (_, i) => `Essai ${i} ${randomBytes(4).toString("hex")}`);
    for (const subject of subjects) {
      await query("SELECT graphile_worker.add_job('send_email', $1::json)", [JSON.stringify({ to: "destinataire@multi.test", subject, text: "Bonjour." })]);
    }
    const deadline = Date.now() + 30_000;
    while (mails.length < subjects.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    // Long enough for a second run of any of them to show up.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const subject of subjects) expect(mails.filter((mail) => mail.raw.includes(subject)), subject).toHaveLength(1);
    expect(mails).toHaveLength(subjects.length);
    expect(await query("SELECT id FROM graphile_worker.jobs WHERE task_identifier = 'send_email'")).toEqual([]);
  }, 60_000);

  it("the login throttle counts failures made on both instances", async () => {
    const attempt = (instance: Instance) =>
      post(instance, "/login", new URLSearchParams({ email: EMAIL, password: "pas le bon" }), undefined, {
        "X-Forwarded-For": `198.51.100.${Math.floor(Math.random() * 250) + 1}`,
      });
    // Ten failures in all, alternating: five on each instance, none throttled yet.
    for (let i = 0; i < 10; i++) expect((await attempt(i % 2 === 0 ? a : b)).status).toBe(401);
    // The eleventh is refused on either, though neither saw ten.
    for (const instance of [a, b]) {
      const refused = await attempt(instance);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
    // Even with the right password, until the window passes.
    const right = await post(b, "/login", new URLSearchParams({ email: EMAIL, password: PASSWORD }), undefined, { "X-Forwarded-For": "203.0.113.9" });
    expect(right.status).toBe(429);
  });
});
