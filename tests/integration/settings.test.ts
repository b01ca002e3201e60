import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { getSettings, updateSettings } from "~/organisation/settings.server";
import { makeDepartment, makeUser } from "../factories";

describe("organisation settings", () => {
  it("read their defaults, change by an admin with an audit entry naming what changed, and refuse others", async () => {
    const dept = await makeDepartment();
    const admin = await makeUser("admin", null);
    const manager = await makeUser("manager", dept);

    const before = await getSettings(db());
    expect(before.twoFactorRequired).toBe(false);
    expect(before.retention.notificationsMonths).toBe(6);

    await expect(updateSettings(db(), manager, { twoFactorRequired: true })).rejects.toMatchObject({ status: 403 });
    await expect(updateSettings(db(), admin, { sessionIdleMinutes: 1 })).rejects.toMatchObject({ status: 400 });
    expect((await getSettings(db())).sessionIdleMinutes).toBe(before.sessionIdleMinutes);

    const after = await updateSettings(db(), admin, { twoFactorRequired: true, retention: { auditMonths: 9 } });
    expect(after.twoFactorRequired).toBe(true);
    expect(after.retention).toEqual({ ...before.retention, auditMonths: 9 });
    expect(await getSettings(db())).toEqual(after);

    const entry = await db().selectFrom("audit_entry").select(["actor_id", "details"]).where("action", "=", "settings_changed").executeTakeFirstOrThrow();
    expect(entry.actor_id).toBe(admin.id);
    expect(entry.details).toEqual({ changed: "twoFactorRequired, retention.auditMonths" });
  });

  it("fall back field by field when a stored value no longer validates", async () => {
    await db().updateTable("organisation_settings").set({ settings: JSON.stringify({ sessionIdleMinutes: "soon", retention: { draftsMonths: 3, auditMonths: -1 } }) }).execute();
    const settings = await getSettings(db());
    expect(settings.sessionIdleMinutes).toBe(8 * 60);
    expect(settings.retention.draftsMonths).toBe(3);
    expect(settings.retention.auditMonths).toBe(12);
  });
});
