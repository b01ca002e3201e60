import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";

// The application's own connection (db()) is the table's owner here (and a superuser under the
// embedded server): privileges would not stop it, the trigger must.
async function entry(at: string, subjectId = "s") {
  const row = await db()
    .insertInto("audit_entry")
    .values({ at, action: "sign_in", subject_type: "user", subject_id: subjectId, details: JSON.stringify({ n: 1 }) })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

async function pgError(fn: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await fn();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error("PostgreSQL accepted the change");
}

describe("the audit log is append-only, enforced by PostgreSQL", () => {
  it("refuses UPDATE, DELETE and TRUNCATE from the application's connection, and keeps the entry as it was", async () => {
    const id = await entry(new Date().toISOString(), "u-1");
    const old = await entry("2020-01-01T00:00:00Z", "u-old");

    const update = await pgError(() => db().updateTable("audit_entry").set({ actor_id: "x" } as never).where("id", "=", id).execute());
    expect(update.code).toBe("42501");
    expect(update.message).toMatch(/append-only: UPDATE refused/);

    const del = await pgError(() => db().deleteFrom("audit_entry").where("id", "in", [id, old]).execute());
    expect(del.code).toBe("42501");
    expect(del.message).toMatch(/append-only: DELETE refused/);

    const truncate = await pgError(() => sql`TRUNCATE audit_entry`.execute(db()));
    expect(truncate.code).toBe("42501");
    expect(truncate.message).toMatch(/append-only: TRUNCATE refused/);

    const rows = await db().selectFrom("audit_entry").select(["id", "subject_id", "actor_id"]).where("id", "in", [id, old]).orderBy("id").execute();
    expect(rows).toEqual([
      { id, subject_id: "u-1", actor_id: null },
      { id: old, subject_id: "u-old", actor_id: null },
    ]);
  });

  it("setting the retention cutoff by hand cannot delete anything younger than a month", async () => {
    const recent = await entry(new Date(Date.now() - 3 * 86_400_000).toISOString());
    const error = await pgError(() =>
      db().transaction().execute(async (trx) => {
        await sql`SELECT set_config('relais.audit_purge_before', ${new Date().toISOString()}, true)`.execute(trx);
        await trx.deleteFrom("audit_entry").where("id", "=", recent).execute();
      }),
    );
    expect(error.code).toBe("42501");
    expect(await db().selectFrom("audit_entry").select("id").where("id", "=", recent).executeTakeFirst()).toEqual({ id: recent });
  });

  it("PUBLIC holds no UPDATE, DELETE or TRUNCATE privilege on it, nor EXECUTE on the purge", async () => {
    const { rows } = await sql<{ update: boolean; delete: boolean; truncate: boolean; insert: boolean; purge: boolean }>`
      SELECT has_table_privilege('public', 'audit_entry', 'UPDATE') AS update,
             has_table_privilege('public', 'audit_entry', 'DELETE') AS delete,
             has_table_privilege('public', 'audit_entry', 'TRUNCATE') AS truncate,
             has_table_privilege('public', 'audit_entry', 'INSERT') AS insert,
             has_function_privilege('public', 'purge_audit_entries(interval)', 'EXECUTE') AS purge`.execute(db());
    expect(rows[0]).toEqual({ update: false, delete: false, truncate: false, insert: false, purge: false });
  });
});

describe("retention: purge_audit_entries(age)", () => {
  it("deletes only the entries older than the given age", async () => {
    const day = 86_400_000;
    const ancient = await entry(new Date(Date.now() - 400 * day).toISOString());
    const older = await entry(new Date(Date.now() - 190 * day).toISOString());
    const younger = await entry(new Date(Date.now() - 170 * day).toISOString());
    const today = await entry(new Date().toISOString());

    // Other tests of this file left entries of 2020 behind: they go too.
    const { rows: before } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_entry WHERE at < now() - interval '6 months'`.execute(db());
    expect(before[0].n).toBeGreaterThanOrEqual(2);
    const { rows } = await sql<{ removed: number }>`SELECT purge_audit_entries(interval '6 months') AS removed`.execute(db());
    expect(rows[0].removed).toBe(before[0].n);
    const left = await db().selectFrom("audit_entry").select("id").where("id", "in", [ancient, older, younger, today]).orderBy("id").execute();
    expect(left.map((r) => r.id)).toEqual([younger, today]);

    // The cutoff does not outlive the purge: a DELETE afterwards in the same transaction is refused.
    const error = await pgError(() =>
      db().transaction().execute(async (trx) => {
        await sql`SELECT purge_audit_entries(interval '1 year')`.execute(trx);
        await trx.deleteFrom("audit_entry").where("id", "=", younger).execute();
      }),
    );
    expect(error.code).toBe("42501");
  });

  it("refuses an age under a month, deleting nothing", async () => {
    const lastWeek = await entry(new Date(Date.now() - 7 * 86_400_000).toISOString());
    const error = await pgError(() => sql`SELECT purge_audit_entries(interval '1 day')`.execute(db()));
    expect(error.code).toBe("22023");
    expect(await db().selectFrom("audit_entry").select("id").where("id", "=", lastWeek).executeTakeFirst()).toEqual({ id: lastWeek });
  });
});
