import { randomBytes } from "node:crypto";
import type { AppLoadContext } from "@remix-run/node";
import { sql } from "kysely";
import type { Role } from "../db/schema";
import { createSessionCookie } from "~/auth/session.server";
import { db } from "~/db.server";
import { createDepartment } from "~/organisation/departments.server";
import { createUser } from "~/organisation/users.server";
import { SAMPLE_PHOTOS } from "./fixtures/photos";

export const BASE = "http://relais.test";
export const TEST_PASSWORD = "correct horse battery";

export async function makeDepartment(name = `Service ${randomBytes(3).toString("hex")}`) {
  return createDepartment(db(), null, name);
}

export async function makeUser(role: Role, departmentId: number | null, opts: { password?: string; email?: string } = {}) {
  const email = opts.email ?? `${role}-${randomBytes(4).toString("hex")}@example.org`;
  const id = await createUser(
    db(),
    null,
    { email, displayName: `${role} ${email.slice(0, 12)}`, role, departmentId, locale: "fr" },
    opts.password,
  );
  return { id, email, role, departmentId };
}

/** A signed-in user of `role` and the Cookie header of their session. */
export async function signedIn(role: Role, departmentId?: number | null) {
  const dept = departmentId === undefined ? await makeDepartment() : departmentId;
  const user = await makeUser(role, dept);
  const setCookie = await createSessionCookie(user.id, new Request(BASE));
  return { ...user, cookie: setCookie.split(";")[0] };
}

/** Everyone whose view of a contribution by an agent of department A the visibility tests check. */
export type Viewer =
  | "author"
  | "agentSameDept"
  | "agentOtherDept"
  | "comms"
  | "managerSameDept"
  | "managerOtherDept"
  | "managerOrgWide"
  | "adminNoDept"
  | "adminOtherDept";

/** One signed-in person per Viewer: the author and a colleague in `deptA`, the others around them. */
export async function viewers(deptA: number, deptB: number): Promise<Record<Viewer, Awaited<ReturnType<typeof signedIn>>>> {
  return {
    author: await signedIn("agent", deptA),
    agentSameDept: await signedIn("agent", deptA),
    agentOtherDept: await signedIn("agent", deptB),
    comms: await signedIn("comms"),
    managerSameDept: await signedIn("manager", deptA),
    managerOtherDept: await signedIn("manager", deptB),
    managerOrgWide: await signedIn("manager", null),
    adminNoDept: await signedIn("admin", null),
    adminOtherDept: await signedIn("admin", deptB),
  };
}

/** A loader run as for a navigation inside the page: its data whole (shownAsMarkup). */
export const context: AppLoadContext = { cspNonce: "test", clientIp: "192.0.2.1", wholePage: false };

export function get(path: string, cookie?: string) {
  return new Request(BASE + path, { headers: cookie ? { Cookie: cookie } : {} });
}

export function post(path: string, fields: Record<string, string | string[]> | FormData, cookie?: string) {
  let body: FormData;
  if (fields instanceof FormData) body = fields;
  else {
    body = new FormData();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
  }
  return new Request(BASE + path, { method: "POST", body, headers: { Origin: BASE, ...(cookie ? { Cookie: cookie } : {}) } });
}

/** Runs a loader or action; a thrown Response (redirect, 403, 404) comes back as the Response. */
export async function run<T>(fn: () => Promise<T>): Promise<T | Response> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Response) return error;
    throw error;
  }
}

/** Status and body of what an action or loader returned: a data() result, a Response, or plain data. */
export function outcome(result: unknown): { status: number; body: any } {
  if (result instanceof Response) return { status: result.status, body: null };
  if (result && typeof result === "object" && (result as any).type === "DataWithResponseInit") {
    return { status: (result as any).init?.status ?? 200, body: (result as any).data };
  }
  return { status: 200, body: result };
}

/** Payloads of the jobs waiting in graphile-worker's queue for `task`, oldest first. */
export async function queuedJobs<T = Record<string, unknown>>(task: string): Promise<T[]> {
  const { rows } = await sql<{ payload: T }>`
    SELECT j.payload FROM graphile_worker._private_jobs j
    JOIN graphile_worker._private_tasks t ON t.id = j.task_id
    WHERE t.identifier = ${task} ORDER BY j.id`.execute(db());
  return rows.map((r) => r.payload);
}

/* ---- contributions and photos (helpers for tests/integration/contributions-*.test.ts) ---- */

/** Real camera photos shared by the tests (see its README.md). */
export { SAMPLE_PHOTOS };

/** Every file under `dir` (default: this test file's UPLOADS_DIR, tmp/ included), as sorted relative paths. */
export async function filesUnder(dir = process.env.UPLOADS_DIR!): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const { join, relative } = await import("node:path");
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath ?? (e as any).path, e.name)))
    .sort();
}

/** A sample photo (or any bytes) as a Blob for a multipart form. */
export async function fileBlob(nameOrBytes: string | Uint8Array, type = "image/jpeg"): Promise<Blob> {
  const { readFile } = await import("node:fs/promises");
  const bytes = typeof nameOrBytes === "string" ? await readFile(`${SAMPLE_PHOTOS}/${nameOrBytes}`) : nameOrBytes;
  return new Blob([new Uint8Array(bytes)], { type });
}

/** A small JPEG of its own colour: distinct bytes, so distinct (content-addressed) stored files. */
export async function jpegBytes(seed: number, size = 64): Promise<Buffer> {
  const { default: sharp } = await import("sharp");
  const background = { r: (seed * 37) % 256, g: (seed * 91) % 256, b: (seed * 151) % 256 };
  return sharp({ create: { width: size + seed, height: size, channels: 3, background } }).jpeg().toBuffer();
}

/** A photo's stored files: its master, then its renditions' (one row each, by kind). */
export async function photoFileKeys(photo: { id: number; master_key: string }): Promise<string[]> {
  const rows = await db().selectFrom("photo_rendition").select("file_key").where("photo_id", "=", photo.id).orderBy("kind").execute();
  return [photo.master_key, ...rows.map((r) => r.file_key)];
}

/** Tiptap JSON of a document made of these paragraphs. */
export function richDoc(...paragraphs: string[]): string {
  return JSON.stringify({ type: "doc", content: paragraphs.map((text) => ({ type: "paragraph", content: [{ type: "text", text }] })) });
}

/** The contribution form as a browser sends it: text fields, then files in "photos". */
export function contributionForm(fields: Record<string, string | string[]>, photos: [Blob, string][] = []): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, one);
  for (const [blob, name] of photos) form.append("photos", blob, name);
  return form;
}

/** Creates a draft through the "new contribution" action; returns its id (throws when refused). */
export async function newDraft(cookie: string, fields: Record<string, string | string[]> = {}, photos: [Blob, string][] = []) {
  const page = await import("~/routes/contributions.new");
  const form = contributionForm({ title: "Une contribution", body: richDoc("Un texte."), intent: "save", ...fields }, photos);
  const result = await run(() => page.action({ request: post("/contributions/new", form, cookie), params: {}, context }));
  if (!(result instanceof Response) || result.status !== 302) throw new Error(`draft refused: ${JSON.stringify(outcome(result))}`);
  return Number(/\/contributions\/(\d+)\//.exec(result.headers.get("Location")!)![1]);
}

/** Approves a contribution directly in the database (the review module is tested on its own). */
export async function approveDirectly(id: number, visibility: "department" | "organisation") {
  await db()
    .updateTable("contribution")
    .set({ status: "approved", visibility, approved_at: sql`now()`, submitted_at: sql`coalesce(submitted_at, now())` })
    .where("id", "=", id)
    .execute();
}
