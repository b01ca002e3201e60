import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { getSettings } from "~/organisation/settings.server";
import * as privacy from "~/routes/privacy";
import * as register from "~/routes/admin.register";
import * as settings from "~/routes/admin.settings";
import { context, get, outcome, post, run, signedIn } from "../../factories";
import { channel, comms } from "../publishing/fixtures";

const loadRegister = (cookie: string) => run(() => register.loader({ request: get("/admin/register", cookie), params: {}, context }));
const loadSettings = (cookie: string) => run(() => settings.loader({ request: get("/admin/settings", cookie), params: {}, context }));
const saveSettings = (cookie: string, fields: Record<string, string>) =>
  run(() => settings.action({ request: post("/admin/settings", fields, cookie), params: {}, context }));
const loadPrivacy = (cookie?: string) => run(() => privacy.loader({ request: get("/privacy", cookie), params: {}, context }));

const RETENTION = { draftsMonths: "12", rejectedMonths: "12", notificationsMonths: "6", signInMonths: "6", auditMonths: "12", consentDocumentsMonths: "60" };

async function settingsChanges() {
  return db().selectFrom("audit_entry").select("details").where("action", "=", "settings_changed").execute();
}

describe("privacy pages", () => {
  it("the register and the settings answer 403 to agents, managers and comms, for reading and for saving", async () => {
    for (const role of ["agent", "manager", "comms"] as const) {
      const someone = await signedIn(role);
      expect(((await loadRegister(someone.cookie)) as Response).status, role).toBe(403);
      expect(((await loadSettings(someone.cookie)) as Response).status, role).toBe(403);
      expect(((await saveSettings(someone.cookie, { intent: "retention", ...RETENTION, auditMonths: "1" })) as Response).status, role).toBe(403);
    }
    expect((await getSettings(db())).retention.auditMonths).toBe(12);
    expect(await settingsChanges()).toEqual([]);
    const admin = await signedIn("admin", null);
    expect(outcome(await loadRegister(admin.cookie)).status).toBe(200);
    expect(outcome(await loadSettings(admin.cookie)).status).toBe(200);
  });

  it("the register lists each channel as a recipient and the retention periods as set, and follows their changes", async () => {
    const admin = await signedIn("admin", null);
    const before = outcome(await loadRegister(admin.cookie)).body.register;
    const audit = (reg: typeof before) => reg.activities.find((a: { id: string }) => a.id === "audit").retention;
    expect(audit(before)).toEqual([{ item: "audit", months: 12 }]);
    expect(before.channels.map((c: { name: string }) => c.name)).not.toContain("Mastodon de la Ville");

    const publisher = await comms();
    await channel(publisher.actor, { kind: "mastodon", name: "Mastodon de la Ville", instanceUrl: "https://mastodon.example", accessToken: "t0k3n" } as never);
    const saved = outcome(await saveSettings(admin.cookie, { intent: "retention", ...RETENTION, auditMonths: "9" }));
    expect(saved).toEqual({ status: 200, body: { ok: true, intent: "retention" } });
    expect(outcome(await saveSettings(admin.cookie, { intent: "controller", controllerName: "Ville de Montreuil", dpoContact: "dpo@montreuil.example" })).status).toBe(200);

    const after = outcome(await loadRegister(admin.cookie)).body.register;
    expect(after.channels).toContainEqual({ name: "Mastodon de la Ville", kind: "mastodon", enabled: true });
    expect(audit(after)).toEqual([{ item: "audit", months: 9 }]);
    expect(after.controllerName).toBe("Ville de Montreuil");
    expect(after.dpoContact).toBe("dpo@montreuil.example");
    // Every activity the issue names is there, each with its retention.
    expect(after.activities.map((a: { id: string }) => a.id)).toEqual(["intranet", "accounts", "publication", "statistics", "notifications", "consent", "audit"]);
    // updateSettings recorded who changed what.
    expect((await settingsChanges()).map((e) => e.details)).toEqual([{ changed: "retention.auditMonths" }, { changed: "controllerName, dpoContact" }]);
  });

  it("refuses months out of range or not a number with a message by each field, storing nothing", async () => {
    const admin = await signedIn("admin", null);
    const before = { settings: await getSettings(db()), changes: (await settingsChanges()).length };
    const refused = outcome(await saveSettings(admin.cookie, { intent: "retention", ...RETENTION, draftsMonths: "0", auditMonths: "douze", notificationsMonths: "121", signInMonths: "" }));
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual({
      draftsMonths: "orgSettings.errors.months",
      auditMonths: "orgSettings.errors.months",
      notificationsMonths: "orgSettings.errors.months",
      signInMonths: "orgSettings.errors.months",
    });
    const tooLong = outcome(await saveSettings(admin.cookie, { intent: "controller", controllerName: "x".repeat(201), dpoContact: "" }));
    expect(tooLong).toMatchObject({ status: 400, body: { errors: { controllerName: "orgSettings.errors.controllerName" } } });
    expect(outcome(await saveSettings(admin.cookie, { intent: "nope" })).status).toBe(400);
    expect(outcome(await saveSettings(admin.cookie, {})).status).toBe(400);
    expect(await getSettings(db())).toEqual(before.settings);
    expect(await settingsChanges()).toHaveLength(before.changes);
  });

  it("the privacy page is for everyone signed in, and says how long from the settings", async () => {
    expect(((await loadPrivacy()) as Response).status).toBe(302);
    const admin = await signedIn("admin", null);
    await saveSettings(admin.cookie, { intent: "retention", ...RETENTION, draftsMonths: "18" });
    for (const role of ["agent", "manager", "comms", "admin"] as const) {
      const someone = await signedIn(role);
      const page = outcome(await loadPrivacy(someone.cookie));
      expect(page.status, role).toBe(200);
      expect(page.body.notice.retention).toContainEqual({ item: "drafts", months: 18 });
      expect(page.body.notice.retention).toContainEqual({ item: "notifications", months: 6 });
    }
  });
});
