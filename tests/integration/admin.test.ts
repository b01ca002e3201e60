import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { readSession } from "~/auth/session.server";
import { db } from "~/db.server";
import * as departments from "~/routes/admin.departments";
import * as users from "~/routes/admin.users";
import * as invitation from "~/routes/invitation.$token";
import { context, get, makeDepartment, outcome, post, queuedJobs, run, signedIn } from "../factories";

const countUsers = async () =>
  (await db().selectFrom("app_user").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n;

const queuedMails = () => queuedJobs<{ to: string; subject: string; text: string }>("send_email");

describe("admin pages are for admins only", () => {
  for (const role of ["agent", "comms", "manager"] as const) {
    it(`answers 403 to a ${role} and changes nothing`, async () => {
      const someone = await signedIn(role);
      const before = await countUsers();
      const loaders: (() => Promise<unknown>)[] = [
        () => users.loader({ request: get("/admin/users", someone.cookie), params: {}, context }),
        () => departments.loader({ request: get("/admin/departments", someone.cookie), params: {}, context }),
      ];
      for (const loader of loaders) expect(outcome(await run(loader)).status).toBe(403);
      const invite = post(
        "/admin/users",
        { intent: "invite", email: "new@example.org", displayName: "New", role: "admin", departmentId: "" },
        someone.cookie,
      );
      expect(outcome(await run(() => users.action({ request: invite, params: {}, context }))).status).toBe(403);
      const create = post("/admin/departments", { intent: "create", name: "Pirates" }, someone.cookie);
      expect(outcome(await run(() => departments.action({ request: create, params: {}, context }))).status).toBe(403);
      expect(await countUsers()).toBe(before);
      expect(await db().selectFrom("department").select("id").where("name", "=", "Pirates").execute()).toHaveLength(0);
    });
  }

  it("sends a visitor without a session to the sign-in page", async () => {
    const response = (await run(() => users.loader({ request: get("/admin/users"), params: {}, context }))) as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/login?redirectTo=%2Fadmin%2Fusers");
  });
});

describe("invitations", () => {
  it("creates the account, mails a one-time link valid 7 days, and lets the person choose a password once", async () => {
    const admin = await signedIn("admin", null);
    const dept = await makeDepartment("Bibliothèque");
    const request = post(
      "/admin/users",
      { intent: "invite", email: " Zoe.Petit@Example.org ", displayName: "Zoé Petit", role: "agent", departmentId: String(dept), locale: "fr" },
      admin.cookie,
    );
    const { status, body } = outcome(await run(() => users.action({ request, params: {}, context })));
    expect(status).toBe(200);
    const link: string = body.invited.link;
    expect(link).toMatch(/\/invitation\/[\w-]{40,}$/);
    const row = await db().selectFrom("app_user").selectAll().where("email", "=", "zoe.petit@example.org").executeTakeFirstOrThrow();
    expect(row).toMatchObject({ display_name: "Zoé Petit", role: "agent", department_id: dept, password_hash: null, active: true });
    const invite = await db()
      .selectFrom("invitation")
      .select(sql<number>`extract(epoch from expires_at - created_at)::int / 86400`.as("days"))
      .where("user_id", "=", row.id)
      .executeTakeFirstOrThrow();
    expect(invite.days).toBe(7);
    const mail = (await queuedMails()).find((m) => m.to === "zoe.petit@example.org")!;
    expect(mail.subject).toBe("Votre accès à Relais");
    expect(mail.text).toContain(link);

    const token = link.split("/").pop()!;
    const page = outcome(await run(() => invitation.loader({ request: get(`/invitation/${token}`), params: { token }, context })));
    expect(page).toEqual({ status: 200, body: { state: "valid", email: "zoe.petit@example.org", displayName: "Zoé Petit" } });

    const short = post(`/invitation/${token}`, { password: "court", confirm: "court" });
    expect(outcome(await run(() => invitation.action({ request: short, params: { token }, context })))).toEqual({
      status: 400,
      body: { errors: { password: ["invite.tooShort", { min: 10 }] } },
    });
    const mismatch = post(`/invitation/${token}`, { password: "un long mot de passe", confirm: "un autre" });
    expect(outcome(await run(() => invitation.action({ request: mismatch, params: { token }, context }))).status).toBe(400);
    expect((await db().selectFrom("app_user").select("password_hash").where("id", "=", row.id).executeTakeFirstOrThrow()).password_hash).toBeNull();

    const good = post(`/invitation/${token}`, { password: "un long mot de passe", confirm: "un long mot de passe" });
    const accepted = (await run(() => invitation.action({ request: good, params: { token }, context }))) as Response;
    expect(accepted.status).toBe(302);
    const session = await readSession(get("/", accepted.headers.get("Set-Cookie")!.split(";")[0]));
    expect(session.user?.email).toBe("zoe.petit@example.org");
    const hash = (await db().selectFrom("app_user").select("password_hash").where("id", "=", row.id).executeTakeFirstOrThrow()).password_hash!;
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    // The link is used up: a second visit gets a clear page and no second password change.
    expect(outcome(await run(() => invitation.loader({ request: get(`/invitation/${token}`), params: { token }, context })))).toEqual({
      status: 410,
      body: { state: "used" },
    });
    const again = post(`/invitation/${token}`, { password: "encore un autre mot", confirm: "encore un autre mot" });
    expect(outcome(await run(() => invitation.action({ request: again, params: { token }, context }))).status).toBe(410);
  });

  it("shows an expired link and an unknown link clearly", async () => {
    const admin = await signedIn("admin", null);
    const request = post("/admin/users", { intent: "invite", email: "late@example.org", displayName: "Late", role: "manager", departmentId: "" }, admin.cookie);
    const { body } = outcome(await run(() => users.action({ request, params: {}, context })));
    const token = body.invited.link.split("/").pop();
    await db().updateTable("invitation").set({ expires_at: sql`now() - interval '1 minute'` }).execute();
    expect(outcome(await run(() => invitation.loader({ request: get("/"), params: { token }, context }))).body).toEqual({ state: "expired" });
    expect(outcome(await run(() => invitation.loader({ request: get("/"), params: { token: "nope" }, context })))).toEqual({
      status: 404,
      body: { state: "unknown" },
    });
  });

  it("refuses bad input next to the field and stores nothing", async () => {
    const admin = await signedIn("admin", null);
    const before = await countUsers();
    const mailsBefore = (await queuedMails()).length;
    const cases: [Record<string, string>, string, string][] = [
      [{ email: "pas-un-email", displayName: "X", role: "agent", departmentId: "" }, "email", "admin.users.emailInvalid"],
      [{ email: "ok@example.org", displayName: "", role: "agent", departmentId: "" }, "displayName", "admin.users.nameRequired"],
      [{ email: "ok@example.org", displayName: "X".repeat(121), role: "agent", departmentId: "" }, "displayName", "admin.users.nameRequired"],
      [{ email: "ok@example.org", displayName: "X", role: "superuser", departmentId: "" }, "role", "admin.users.roleInvalid"],
      [{ email: "ok@example.org", displayName: "X", role: "agent", departmentId: "" }, "departmentId", "admin.users.departmentRequired"],
      [{ email: "ok@example.org", displayName: "X", role: "agent", departmentId: "999999" }, "departmentId", "admin.users.departmentUnknown"],
      [{ email: admin.email, displayName: "X", role: "admin", departmentId: "" }, "email", "admin.users.emailTaken"],
    ];
    for (const [fields, field, key] of cases) {
      const request = post("/admin/users", { intent: "invite", ...fields }, admin.cookie);
      const { status, body } = outcome(await run(() => users.action({ request, params: {}, context })));
      expect(status, JSON.stringify(fields)).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(body.errors[field], JSON.stringify(fields)).toBe(key);
    }
    expect(await countUsers()).toBe(before);
    expect(await queuedMails()).toHaveLength(mailsBefore);
  });
});

describe("managing people", () => {
  it("changes role and department, and deactivation ends every session at once", async () => {
    const admin = await signedIn("admin", null);
    const dept = await makeDepartment();
    const agent = await signedIn("agent", dept);
    const second = await signedIn("agent", dept);
    const update = post("/admin/users", { intent: "update", userId: agent.id, role: "manager", departmentId: "" }, admin.cookie);
    expect(outcome(await run(() => users.action({ request: update, params: {}, context }))).status).toBe(200);
    expect(await db().selectFrom("app_user").select(["role", "department_id"]).where("id", "=", agent.id).executeTakeFirst()).toEqual({
      role: "manager",
      department_id: null,
    });
    const noDepartment = post("/admin/users", { intent: "update", userId: second.id, role: "comms", departmentId: "" }, admin.cookie);
    expect(outcome(await run(() => users.action({ request: noDepartment, params: {}, context }))).body.errors).toEqual({
      departmentId: "admin.users.departmentRequired",
    });

    const deactivate = post("/admin/users", { intent: "deactivate", userId: agent.id }, admin.cookie);
    expect(outcome(await run(() => users.action({ request: deactivate, params: {}, context }))).status).toBe(200);
    expect(await db().selectFrom("user_session").select("id").where("user_id", "=", agent.id).execute()).toHaveLength(0);
    expect((await readSession(get("/", agent.cookie))).user).toBeNull();
    expect((await readSession(get("/", second.cookie))).user?.id).toBe(second.id);

    const self = post("/admin/users", { intent: "deactivate", userId: admin.id }, admin.cookie);
    expect(outcome(await run(() => users.action({ request: self, params: {}, context })))).toEqual({
      status: 400,
      body: { ok: false, errors: { form: "admin.users.notSelf" } },
    });

    const reactivate = post("/admin/users", { intent: "reactivate", userId: agent.id }, admin.cookie);
    await run(() => users.action({ request: reactivate, params: {}, context }));
    expect((await db().selectFrom("app_user").select("active").where("id", "=", agent.id).executeTakeFirstOrThrow()).active).toBe(true);
  });

  it("finds people by name without accents or by e-mail", async () => {
    const admin = await signedIn("admin", null);
    await db().updateTable("app_user").set({ display_name: "Hélène Érard" }).where("id", "=", admin.id).execute();
    const found = outcome(await run(() => users.loader({ request: get("/admin/users?q=helene", admin.cookie), params: {}, context })));
    expect(found.body.users.map((u: { id: string }) => u.id)).toEqual([admin.id]);
    const none = outcome(await run(() => users.loader({ request: get("/admin/users?q=zzzz", admin.cookie), params: {}, context })));
    expect(none.body.users).toEqual([]);
  });
});

describe("departments", () => {
  it("creates, refuses duplicates, renames, and deletes only when empty", async () => {
    const admin = await signedIn("admin", null);
    const act = async (fields: Record<string, string>) =>
      outcome(await run(() => departments.action({ request: post("/admin/departments", fields, admin.cookie), params: {}, context })));
    expect((await act({ intent: "create", name: "  Petite   enfance " })).status).toBe(200);
    const row = await db().selectFrom("department").selectAll().where("name", "=", "Petite enfance").executeTakeFirstOrThrow();
    expect(await act({ intent: "create", name: "petite ENFANCE" })).toEqual({
      status: 409,
      body: { ok: false, errors: { name: "admin.departments.nameTaken" } },
    });
    expect((await act({ intent: "create", name: "" })).status).toBe(400);
    expect((await act({ intent: "rename", id: String(row.id), name: "Enfance" })).status).toBe(200);
    await signedIn("agent", row.id);
    expect(await act({ intent: "delete", id: String(row.id) })).toEqual({
      status: 409,
      body: { ok: false, errors: { form: "admin.departments.notEmpty" } },
    });
    const empty = await makeDepartment("Vide");
    expect((await act({ intent: "delete", id: String(empty) })).status).toBe(200);
    expect(await db().selectFrom("department").select("name").where("id", "in", [row.id, empty]).execute()).toEqual([{ name: "Enfance" }]);
  });
});
