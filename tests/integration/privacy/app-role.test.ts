import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { sql, type Kysely } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { grantApplicationRole } from "../../../db/grants";
import { migrateToLatest } from "../../../db/migrate";
import { createDb } from "../../../db/pool";
import type { Database } from "../../../db/schema";
import { db } from "~/db.server";
import { enqueue } from "~/jobs/queue.server";
import { audit } from "~/privacy/audit.server";
import { queuedJobs } from "../../factories";

// An installation that runs migrations as the schema's owner and the application as a role of
// its own, granted by `npm run relais -- db:grant --role NAME` (db/grants.ts): the application
// connects as that role here, as it would in production. Creating a role needs a superuser (the embedded server's); a server given
// through DATABASE_URL without one skips this file.
const role = `relais_app_${randomBytes(4).toString("hex")}`;
const password = randomBytes(12).toString("hex");
const { rows: me } = await sql<{ rolsuper: boolean }>`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`.execute(db());
const superuser = me[0]?.rolsuper === true;

const relais = (...args: string[]) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/relais.ts", ...args], { env: process.env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
  );

let app: { db: Kysely<Database>; url: string } | undefined;
async function appDb() {
  if (!app) {
    await sql`CREATE ROLE ${sql.id(role)} LOGIN PASSWORD ${sql.lit(password)}`.execute(db());
    await expect(grantApplicationRole(db(), "Robert'); DROP TABLE audit_entry; --")).rejects.toThrow("Nom de rôle invalide");
    const granted = await relais("db:grant", "--role", role);
    expect(granted).toMatchObject({ code: 0, stdout: expect.stringContaining(`Droits de l'application accordés au rôle ${role}.`) });
    const url = new URL(process.env.DATABASE_URL!);
    url.username = role;
    url.password = password;
    app = { db: createDb(url.toString(), { max: 2 }).db, url: url.toString() };
  }
  return app;
}

afterAll(async () => {
  if (!app) return;
  await app.db.destroy();
  await sql`DROP OWNED BY ${sql.id(role)}`.execute(db());
  await sql`DROP ROLE ${sql.id(role)}`.execute(db());
});

async function pgError(fn: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await fn();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error("PostgreSQL accepted it");
}

describe.skipIf(!superuser)("the application's own database role", () => {
  it("may add and read audit entries, and PostgreSQL refuses it UPDATE, DELETE, TRUNCATE and disabling the trigger", { timeout: 60_000 }, async () => {
    const { db: asApp } = await appDb();
    await audit(asApp, null, "settings_changed", null, { changed: "x" });
    const old = await asApp.insertInto("audit_entry").values({ at: "2020-01-01T00:00:00Z", action: "sign_in" }).returning("id").executeTakeFirstOrThrow();
    expect(await asApp.selectFrom("audit_entry").select("id").where("id", "=", old.id).executeTakeFirst()).toEqual(old);

    const update = await pgError(() => asApp.updateTable("audit_entry").set({ actor_id: "x" } as never).where("id", "=", old.id).execute());
    expect(update).toMatchObject({ code: "42501", message: expect.stringMatching(/permission denied for table audit_entry/) });
    const del = await pgError(() => asApp.deleteFrom("audit_entry").where("id", "=", old.id).execute());
    expect(del).toMatchObject({ code: "42501", message: expect.stringMatching(/permission denied/) });
    const truncate = await pgError(() => sql`TRUNCATE audit_entry`.execute(asApp));
    expect(truncate).toMatchObject({ code: "42501", message: expect.stringMatching(/permission denied/) });
    // The owner could switch the trigger off; this role cannot.
    const disable = await pgError(() => sql`ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only`.execute(asApp));
    expect(disable).toMatchObject({ code: "42501", message: expect.stringMatching(/must be owner/) });
    expect(await db().selectFrom("audit_entry").select("id").where("id", "=", old.id).executeTakeFirst()).toEqual(old);

    // Retention still works, through the owner's function.
    const { rows } = await sql<{ removed: string }>`SELECT purge_audit_entries(interval '1 year') AS removed`.execute(asApp);
    expect(Number(rows[0].removed)).toBeGreaterThanOrEqual(1);
    expect(await db().selectFrom("audit_entry").select("id").where("id", "=", old.id).executeTakeFirst()).toBeUndefined();
  });

  it("does the application's ordinary work: rows, jobs, and a start on an up-to-date schema", async () => {
    const { db: asApp, url } = await appDb();
    await asApp.insertInto("department").values({ name: "Rôle de l'application" }).execute();
    await asApp.updateTable("department").set({ name: "Rôle renommé" }).where("name", "=", "Rôle de l'application").execute();
    await asApp.deleteFrom("department").where("name", "=", "Rôle renommé").execute();
    await enqueue(asApp, "apply_retention", {});
    expect(await queuedJobs("apply_retention")).toEqual([{}]);
    // The server migrates when it starts: with nothing to apply, that only reads.
    expect(await migrateToLatest(url)).toEqual([]);
    // But it creates nothing.
    const create = await pgError(() => sql`CREATE TABLE intruder (id int)`.execute(asApp));
    expect(create.code).toBe("42501");
  });
});
