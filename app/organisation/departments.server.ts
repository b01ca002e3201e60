import { sql } from "kysely";
import { assertAdmin, type Actor } from "~/auth/actor";
import type { DB } from "~/db.server";
import { onUniqueViolation, UserError } from "~/utils/errors.server";
import { memoize } from "~/utils/memo.server";

/**
 * Every department's id and name, by name, as the database has them now: for results kept
 * elsewhere until the data changes (the statistics' kept figures), which must not start from a
 * copy another instance's change has not reached yet.
 */
export function departmentsNow(db: DB): Promise<{ id: number; name: string }[]> {
  return db.selectFrom("department").select(["id", "name"]).orderBy(sql`lower(name)`).execute();
}

const choices = memoize(60_000, departmentsNow);

/**
 * Every department's id and name, by name: what a department <select> needs (search, review,
 * feeds, invitations). Read on many pages, changed by an admin now and then: remembered for a
 * minute, forgotten at once when this process changes a department.
 */
export async function departmentChoices(db: DB): Promise<{ id: number; name: string }[]> {
  return choices("all", db);
}

/** Every department with its number of members, for the admin page. */
export async function listDepartments(db: DB) {
  return db
    .selectFrom("department as d")
    .select(["d.id", "d.name"])
    .select((eb) => [
      eb.selectFrom("app_user").whereRef("app_user.department_id", "=", "d.id").select(sql<number>`count(*)::int`.as("n")).as("members"),
    ])
    .orderBy(sql`lower(d.name)`)
    .execute();
}

function cleanName(name: string): string {
  const trimmed = name.trim().replace(/\s+/g, " ");
  if (trimmed.length < 1 || trimmed.length > 120) throw new UserError("admin.departments.nameRequired", "name");
  return trimmed;
}

async function assertNameFree(db: DB, name: string, exceptId?: number) {
  let q = db.selectFrom("department").select("id").where(sql`lower(name)`, "=", name.toLowerCase());
  if (exceptId !== undefined) q = q.where("id", "<>", exceptId);
  if (await q.executeTakeFirst()) throw new UserError("admin.departments.nameTaken", "name", 409);
}

/** By an admin, or the system (null: the CLI, the demo seed). */
export async function createDepartment(db: DB, actor: Actor | null, name: string): Promise<number> {
  assertAdmin(actor);
  const clean = cleanName(name);
  await assertNameFree(db, clean);
  const taken = new UserError("admin.departments.nameTaken", "name", 409);
  const row = await onUniqueViolation(taken, db.insertInto("department").values({ name: clean }).returning("id").executeTakeFirstOrThrow());
  choices.clear();
  return row.id;
}

export async function renameDepartment(db: DB, actor: Actor, id: number, name: string): Promise<void> {
  assertAdmin(actor);
  const clean = cleanName(name);
  await assertNameFree(db, clean, id);
  const taken = new UserError("admin.departments.nameTaken", "name", 409);
  const result = await onUniqueViolation(taken, db.updateTable("department").set({ name: clean }).where("id", "=", id).executeTakeFirst());
  if (result.numUpdatedRows === 0n) throw new UserError("admin.users.departmentUnknown", "name", 404);
  choices.clear();
}

/** Only an empty department (no member, no contribution) can go. */
export async function deleteDepartment(db: DB, actor: Actor, id: number): Promise<void> {
  assertAdmin(actor);
  await db.transaction().execute(async (trx) => {
    const used = await trx
      .selectNoFrom((eb) => [
        eb.exists(eb.selectFrom("app_user").select("id").where("department_id", "=", id)).as("members"),
        eb.exists(eb.selectFrom("contribution").select("id").where("department_id", "=", id)).as("contributions"),
      ])
      .executeTakeFirstOrThrow();
    if (used.members || used.contributions) throw new UserError("admin.departments.notEmpty", "form", 409);
    await trx.deleteFrom("department").where("id", "=", id).execute();
  });
  choices.clear(); // once committed
}
