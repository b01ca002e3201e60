import { describe, expect, it } from "vitest";
import { createInvitation } from "~/auth/invitations.server";
import { addEvent } from "~/contributions/history.server";
import { db } from "~/db.server";
import { notify } from "~/notifications/notifications.server";
import { createDepartment, deleteDepartment, renameDepartment } from "~/organisation/departments.server";
import { createUser, setActive, setLocale, updateUser } from "~/organisation/users.server";
import { makeDepartment, run, signedIn } from "../factories";

const status = async (fn: () => Promise<unknown>) => {
  const result = await run(fn);
  return result instanceof Response ? result.status : "done";
};

describe("every write says who acts", () => {
  it("administration writes are refused (403) to anyone but an admin or the system, and store nothing", async () => {
    const dept = await makeDepartment("Archives");
    const target = await signedIn("agent", dept);
    for (const role of ["agent", "comms", "manager"] as const) {
      const actor = await signedIn(role, dept);
      const fields = { email: `nouveau-${role}@example.org`, displayName: "Nouveau", role: "agent" as const, departmentId: dept, locale: "fr" as const };
      expect(await status(() => createUser(db(), actor, fields)), role).toBe(403);
      expect(await db().selectFrom("app_user").select("id").where("email", "=", fields.email).executeTakeFirst()).toBeUndefined();
      expect(await status(() => updateUser(db(), actor, target.id, { role: "admin", departmentId: null })), role).toBe(403);
      expect(await status(() => setActive(db(), actor, target.id, false)), role).toBe(403);
      expect(await status(() => createInvitation(db(), actor, target.id)), role).toBe(403);
      expect(await status(() => createDepartment(db(), actor, `Service ${role}`)), role).toBe(403);
      expect(await status(() => renameDepartment(db(), actor, dept, "Renommé")), role).toBe(403);
      expect(await status(() => deleteDepartment(db(), actor, dept)), role).toBe(403);
    }
    const after = await db().selectFrom("app_user").select(["role", "active"]).where("id", "=", target.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ role: "agent", active: true });
    expect(await db().selectFrom("department").select("name").where("id", "=", dept).executeTakeFirstOrThrow()).toEqual({ name: "Archives" });
    expect(await db().selectFrom("invitation").select("id").where("user_id", "=", target.id).execute()).toEqual([]);
  });

  it("an admin's invitation records who made it; the system's (the CLI) records nobody", async () => {
    const admin = await signedIn("admin", null);
    const agent = await signedIn("agent");
    await createInvitation(db(), admin, agent.id);
    expect(await db().selectFrom("invitation").select("created_by").where("user_id", "=", agent.id).executeTakeFirstOrThrow()).toEqual({ created_by: admin.id });
    await createInvitation(db(), null, agent.id);
    expect(await db().selectFrom("invitation").select("created_by").where("user_id", "=", agent.id).executeTakeFirstOrThrow()).toEqual({ created_by: null });
  });

  it("a person's own settings are written for the actor only", async () => {
    const me = await signedIn("agent");
    const other = await signedIn("agent");
    await setLocale(db(), me, "en");
    const locales = await db().selectFrom("app_user").select(["id", "locale"]).where("id", "in", [me.id, other.id]).execute();
    expect(Object.fromEntries(locales.map((u) => [u.id, u.locale]))).toEqual({ [me.id]: "en", [other.id]: "fr" });
  });
});

// Not run: compiled by `npm run typecheck`, which fails if these writes stop requiring a transaction.
export function transactionsOnly() {
  // @ts-expect-error notify() runs in the caller's transaction, never on its own.
  void notify(db(), { userIds: [], kind: "thanked", actorId: null, title: "", link: null });
  // @ts-expect-error a history event is written with the change it records.
  void addEvent(db(), { contributionId: 1, actorId: null, kind: "edited" });
}
