import { randomBytes } from "node:crypto";
import type { AppLoadContext } from "@remix-run/node";
import { sql } from "kysely";
import type { Role } from "../db/schema";
import { createSessionCookie } from "~/auth/session.server";
import { db } from "~/db.server";
import { createDepartment } from "~/organisation/departments.server";
import { createUser } from "~/organisation/users.server";

export const BASE = "http://relais.test";
export const TEST_PASSWORD = "correct horse battery";

export async function makeDepartment(name = `Service ${randomBytes(3).toString("hex")}`) {
  return createDepartment(db(), name);
}

export async function makeUser(role: Role, departmentId: number | null, opts: { password?: string; email?: string } = {}) {
  const email = opts.email ?? `${role}-${randomBytes(4).toString("hex")}@example.org`;
  const id = await createUser(
    db(),
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

export const context: AppLoadContext = { cspNonce: "test", clientIp: "192.0.2.1" };

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
