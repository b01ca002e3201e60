import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseCrontab } from "graphile-worker";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { crontab } from "~/jobs/tasks.server";
import { updateSettings } from "~/organisation/settings.server";
import { privacyTasks } from "~/privacy/jobs.server";
import { applyRetention } from "~/privacy/retention.server";
import { storage } from "~/photos/storage.server";
import { fileBlob, jpegBytes, makeUser, newDraft, photoFileKeys, signedIn } from "../../factories";

// Rows are dated in the past with PostgreSQL's own clock, as the job reads it.
const ago = (months: number) => sql<Date>`now() - make_interval(months => ${months})`;
const agoMinusDays = (months: number, days: number) => sql<Date>`now() - make_interval(months => ${months}) + make_interval(days => ${days})`;

async function draftWithPhoto(cookie: string, seed: number) {
  const id = await newDraft(cookie, { title: `Brouillon ${seed}` }, [[await fileBlob(await jpegBytes(seed)), `p${seed}.jpg`]]);
  const photo = await db().selectFrom("photo").select(["id", "master_key"]).where("contribution_id", "=", id).executeTakeFirstOrThrow();
  return { id, files: await photoFileKeys(photo) };
}

const exists = (id: number) => db().selectFrom("contribution").select("id").where("id", "=", id).executeTakeFirst().then(Boolean);
const onDisk = (key: string) => fs.existsSync(path.join(process.env.UPLOADS_DIR!, key));

async function rejectedAt(cookie: string, seed: number, decidedMonthsAgo: number, touchedMonthsAgo: number) {
  const { id } = await draftWithPhoto(cookie, seed);
  await db().updateTable("contribution").set({ status: "rejected", updated_at: ago(touchedMonthsAgo) }).where("id", "=", id).execute();
  await db().insertInto("contribution_event").values({ contribution_id: id, kind: "rejected", message: "Non", created_at: ago(decidedMonthsAgo) as never }).execute();
  return id;
}

describe("retention", () => {
  it("deletes what is older than each period, keeps what is younger, and records what it did", async () => {
    const agent = await signedIn("agent");
    const admin = await makeUser("admin", null);

    // Drafts: 12 months by default, by their last change.
    const oldDraft = await draftWithPhoto(agent.cookie, 1);
    const youngDraft = await draftWithPhoto(agent.cookie, 2);
    await db().updateTable("contribution").set({ updated_at: ago(13) }).where("id", "=", oldDraft.id).execute();
    await db().updateTable("contribution").set({ updated_at: ago(11) }).where("id", "=", youngDraft.id).execute();
    // An approved contribution is the organisation's archive, however old.
    const approved = (await draftWithPhoto(agent.cookie, 3)).id;
    await db().updateTable("contribution").set({ status: "approved", visibility: "department", approved_at: ago(60), updated_at: ago(60) }).where("id", "=", approved).execute();

    // Rejected: 12 months after the decision, not after the last edit.
    const oldRejected = await rejectedAt(agent.cookie, 4, 13, 13);
    const recentlyRejected = await rejectedAt(agent.cookie, 5, 11, 14);

    // Notifications and sign-in records: 6 months by default.
    const notification = (months: number) =>
      db().insertInto("notification").values({ user_id: agent.id, kind: "thanked", created_at: ago(months) as never }).returning("id").executeTakeFirstOrThrow();
    const oldNotification = await notification(7);
    const youngNotification = await notification(5);
    const failure = (months: number) => db().insertInto("login_failure").values({ key: `email:${months}@example.org`, failed_at: ago(months) as never }).returning("id").executeTakeFirstOrThrow();
    const oldFailure = await failure(7);
    const youngFailure = await failure(5);
    // A session ends at its expiry, or once unused past the idle timeout (8 hours by default).
    const hoursAgo = (months: number, hours: number) => sql<Date>`now() - make_interval(months => ${months}, hours => ${hours})`;
    await db().insertInto("user_session").values([
      { id: "ended-long-ago", user_id: agent.id, expires_at: ago(7) },
      { id: "ended-lately", user_id: agent.id, expires_at: ago(5) },
      { id: "idle-long-ago", user_id: agent.id, expires_at: sql<Date>`now() + interval '1 day'`, last_seen_at: hoursAgo(6, 9) as never },
      { id: "idle-just-short", user_id: agent.id, expires_at: sql<Date>`now() + interval '1 day'`, last_seen_at: hoursAgo(6, 7) as never },
    ]).execute();

    // Audit entries: 12 months by default.
    const entry = async (at: ReturnType<typeof ago>, subject: string) =>
      db().insertInto("audit_entry").values({ at: at as never, action: "sign_in", subject_type: "user", subject_id: subject, ip: "192.0.2.7" }).returning("id").executeTakeFirstOrThrow();
    const oldEntry = await entry(ago(13), "old");
    const youngEntry = await entry(agoMinusDays(12, 2), "young");

    // Signed consent forms: 60 months by default after the withdrawal or the last day of validity.
    const consent = async (values: { withdrawn_at?: unknown; expires_on?: unknown }) => {
      const hex = randomBytes(32).toString("hex");
      const key = `consent-forms/${hex.slice(0, 2)}/${hex}.pdf`;
      await storage().putBuffer(key, Buffer.from("%PDF-1.4 signé"));
      const row = await db()
        .insertInto("consent")
        .values({ person_name: "Personne photographiée", form_key: key, form_type: "application/pdf", form_bytes: 14, ...(values as object) })
        .returning("id")
        .executeTakeFirstOrThrow();
      return { id: row.id, key };
    };
    const withdrawnLongAgo = await consent({ withdrawn_at: ago(61) });
    const withdrawnLately = await consent({ withdrawn_at: ago(59) });
    const expiredLongAgo = await consent({ expires_on: sql`(now() - make_interval(months => 61))::date` });
    const expiredLately = await consent({ expires_on: sql`(now() - make_interval(months => 59))::date` });
    const inForce = await consent({});

    const counts = await applyRetention(db());

    expect(counts).toEqual({ drafts: 1, rejected: 1, photos: 2, notifications: 1, signInFailures: 1, sessions: 2, auditEntries: 1, consentDocuments: 2 });
    expect(await exists(oldDraft.id)).toBe(false);
    expect(await exists(oldRejected)).toBe(false);
    expect(await exists(youngDraft.id)).toBe(true);
    expect(await exists(recentlyRejected)).toBe(true);
    expect(await exists(approved)).toBe(true);
    // The deleted draft's photo went, files included (master and every rendition); the kept one's stayed.
    expect(oldDraft.files.length).toBeGreaterThan(1);
    expect(oldDraft.files.filter(onDisk)).toEqual([]);
    expect(youngDraft.files.filter(onDisk)).toEqual(youngDraft.files);
    expect(await db().selectFrom("photo").select("id").where("contribution_id", "in", [oldDraft.id, oldRejected]).execute()).toEqual([]);

    const ids = async (table: "notification" | "login_failure", wanted: number[]) =>
      (await db().selectFrom(table).select("id").where("id", "in", wanted).orderBy("id").execute()).map((r) => r.id);
    expect(await ids("notification", [oldNotification.id, youngNotification.id])).toEqual([youngNotification.id]);
    expect(await ids("login_failure", [oldFailure.id, youngFailure.id])).toEqual([youngFailure.id]);
    // The agent's live session (signedIn) stays too.
    const sessions = (await db().selectFrom("user_session").select("id").where("user_id", "=", agent.id).execute()).map((r) => r.id);
    expect(sessions).toHaveLength(3);
    expect(sessions).toEqual(expect.arrayContaining(["ended-lately", "idle-just-short"]));
    const entries = await db().selectFrom("audit_entry").select("id").where("id", "in", [oldEntry.id, youngEntry.id]).execute();
    expect(entries.map((e) => e.id)).toEqual([youngEntry.id]);

    // The authorisations stay in the register; only the old signed forms went, rows and files.
    const forms = await db().selectFrom("consent").select(["id", "form_key", "form_type", "form_bytes"]).orderBy("id").execute();
    expect(forms.map((f) => [f.id, f.form_key])).toEqual([
      [withdrawnLongAgo.id, null],
      [withdrawnLately.id, withdrawnLately.key],
      [expiredLongAgo.id, null],
      [expiredLately.id, expiredLately.key],
      [inForce.id, inForce.key],
    ]);
    expect(forms.filter((f) => f.form_key === null).every((f) => f.form_type === null && f.form_bytes === null)).toBe(true);
    expect([withdrawnLongAgo, withdrawnLately, expiredLongAgo, expiredLately, inForce].map((c) => onDisk(c.key))).toEqual([false, true, false, true, true]);

    const recorded = await db().selectFrom("audit_entry").select(["actor_id", "subject_type", "details"]).where("action", "=", "retention_applied").execute();
    expect(recorded).toEqual([{ actor_id: null, subject_type: null, details: counts }]);

    // A shorter period set by an admin applies on the next pass; a second pass at the same
    // settings finds nothing more.
    await updateSettings(db(), admin, { retention: { draftsMonths: 10 } });
    expect((await applyRetention(db())).drafts).toBe(1);
    expect(await exists(youngDraft.id)).toBe(false);
    expect(youngDraft.files.filter(onDisk)).toEqual([]);
    expect(await applyRetention(db())).toEqual({ drafts: 0, rejected: 0, photos: 0, notifications: 0, signInFailures: 0, sessions: 0, auditEntries: 0, consentDocuments: 0 });
  });

  it("runs from the worker hourly and applies at 03:00 in the organisation's time zone only", async () => {
    const item = parseCrontab(crontab).find((i) => i.task === "apply_retention")!;
    let runs = 0;
    for (let hour = 0; hour < 24; hour++) for (let min = 0; min < 60; min++) if (item.match({ min, hour, date: 15, month: 1, dow: 4 })) runs++;
    expect(runs).toBe(24);

    const passes = async () => Number((await db().selectFrom("audit_entry").select((eb) => eb.fn.countAll<string>().as("n")).where("action", "=", "retention_applied").executeTakeFirstOrThrow()).n);
    const before = await passes();
    const helpers = {} as never;
    // 02:20 UTC in January is 03:20 in Paris; 03:20 UTC is 04:20 there.
    await privacyTasks.apply_retention({ _cron: { ts: "2026-01-15T03:20:00Z" } } as never, helpers);
    expect(await passes()).toBe(before);
    await privacyTasks.apply_retention({ _cron: { ts: "2026-01-15T02:20:00Z" } } as never, helpers);
    expect(await passes()).toBe(before + 1);
    // In July Paris is UTC+2: 01:20 UTC is its 03:20.
    await privacyTasks.apply_retention({ _cron: { ts: "2026-07-15T01:20:00Z" } } as never, helpers);
    expect(await passes()).toBe(before + 2);
  });
});
