import { generateIdFromEntropySize } from "lucia";
import { sql } from "kysely";
import { z } from "zod";
import { ROLES, type Locale, type Role } from "../../db/schema";
import { assertAdmin, type Actor } from "~/auth/actor";
import { endAllSessions } from "~/auth/session.server";
import { hashPassword } from "~/auth/password.server";
import { inTransaction, type DB } from "~/db.server";
import { audit } from "~/privacy/audit.server";
import { onUniqueViolation, UserError } from "~/utils/errors.server";

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "admin.users.emailInvalid")
  .pipe(z.email("admin.users.emailInvalid"));

export const userFieldsSchema = z.object({
  email: emailSchema,
  displayName: z.string().trim().min(1, "admin.users.nameRequired").max(120, "admin.users.nameRequired"),
  role: z.enum(ROLES as [Role, ...Role[]], "admin.users.roleInvalid"),
  departmentId: z.coerce.number().int().positive().nullable(),
  locale: z.enum(["fr", "en"]).default("fr"),
});
export type UserFields = z.infer<typeof userFieldsSchema>;

/**
 * Agents and comms belong to a department (their contributions are filed there); managers without
 * one see the whole organisation, admins need none.
 */
async function checkDepartment(db: DB, role: Role, departmentId: number | null) {
  if (departmentId === null) {
    if (role === "agent" || role === "comms") throw new UserError("admin.users.departmentRequired", "departmentId");
    return;
  }
  const found = await db.selectFrom("department").select("id").where("id", "=", departmentId).executeTakeFirst();
  if (!found) throw new UserError("admin.users.departmentUnknown", "departmentId");
}

/** Creates an account (password optional: invited people choose theirs). By an admin, or the system (null). */
export async function createUser(db: DB, actor: Actor | null, fields: UserFields, password?: string): Promise<string> {
  assertAdmin(actor);
  await checkDepartment(db, fields.role, fields.departmentId);
  const taken = await db.selectFrom("app_user").select("id").where("email", "=", fields.email).executeTakeFirst();
  if (taken) throw new UserError("admin.users.emailTaken", "email", 409);
  const id = generateIdFromEntropySize(10);
  await onUniqueViolation(new UserError("admin.users.emailTaken", "email", 409), db
    .insertInto("app_user")
    .values({
      id,
      email: fields.email,
      display_name: fields.displayName,
      role: fields.role,
      department_id: fields.departmentId,
      locale: fields.locale as Locale,
      password_hash: password ? await hashPassword(password) : null,
    })
    .execute());
  return id;
}

export interface UserListFilters {
  q?: string;
  after?: string;
}

/** People for the admin list, by name; `q` matches name or e-mail anywhere, accents ignored. */
export async function listUsers(db: DB, { q }: UserListFilters, limit = 100) {
  let query = db
    .selectFrom("app_user as u")
    .leftJoin("department as d", "d.id", "u.department_id")
    .select([
      "u.id",
      "u.email",
      "u.display_name",
      "u.role",
      "u.department_id",
      "d.name as department_name",
      "u.active",
      sql<boolean>`u.closed_at IS NOT NULL`.as("closed"),
      sql<boolean>`u.password_hash IS NULL`.as("pending"),
      sql<boolean>`EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL)`.as("two_factor"),
    ])
    .orderBy(sql`lower(u.display_name)`)
    .orderBy("u.id")
    .limit(limit);
  const term = q?.trim();
  if (term) {
    const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([
        eb(sql`unaccent(u.display_name)`, "ilike", sql`unaccent(${like})`),
        eb("u.email", "ilike", like),
      ]),
    );
  }
  return query.execute();
}

export async function updateUser(db: DB, actor: Actor, id: string, changes: { role: Role; departmentId: number | null }): Promise<void> {
  assertAdmin(actor);
  await checkDepartment(db, changes.role, changes.departmentId);
  await inTransaction(db, async (trx) => {
    const before = await trx.selectFrom("app_user").select(["role", "department_id"]).where("id", "=", id).forUpdate().executeTakeFirst();
    if (!before) throw new Response("Not Found", { status: 404 });
    await trx.updateTable("app_user").set({ role: changes.role, department_id: changes.departmentId }).where("id", "=", id).execute();
    const subject = { type: "user" as const, id, departmentId: changes.departmentId };
    if (before.role !== changes.role) await audit(trx, actor, "user_role_changed", subject, { from: before.role, to: changes.role });
    if (before.department_id !== changes.departmentId) {
      await audit(trx, actor, "user_department_changed", subject, { from: before.department_id, to: changes.departmentId });
    }
  });
}

/** Deactivating ends every session of the account at once; an admin cannot deactivate themself. */
export async function setActive(db: DB, actor: Actor, id: string, active: boolean): Promise<void> {
  assertAdmin(actor);
  if (!active && id === actor.id) throw new UserError("admin.users.notSelf");
  await inTransaction(db, async (trx) => {
    const before = await trx.selectFrom("app_user").select(["active", "department_id", "closed_at"]).where("id", "=", id).forUpdate().executeTakeFirst();
    // A closed account stays closed: its name and address are gone, nobody could sign in as it.
    if (!before || before.closed_at) throw new Response("Not Found", { status: 404 });
    await trx.updateTable("app_user").set({ active }).where("id", "=", id).execute();
    if (before.active !== active) {
      await audit(trx, actor, active ? "user_reactivated" : "user_deactivated", { type: "user", id, departmentId: before.department_id });
    }
  });
  if (!active) {
    await endAllSessions(id);
    await db.deleteFrom("invitation").where("user_id", "=", id).where("used_at", "is", null).execute();
  }
}

/** The actor's own interface language. */
export async function setLocale(db: DB, actor: Actor, locale: Locale): Promise<void> {
  await db.updateTable("app_user").set({ locale }).where("id", "=", actor.id).execute();
}
