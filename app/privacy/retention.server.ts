import { sql, type Expression } from "kysely";
import type { DB } from "~/db.server";
import { endOfDay } from "~/organisation/calendar.server";
import { getSettings, type OrganisationSettings } from "~/organisation/settings.server";
import { deletePhotoRows, removeFiles } from "~/photos/photos.server";
import { storage } from "~/photos/storage.server";
import { audit } from "./audit.server";

/*
 * Retention: what Relais keeps no longer than the organisation's settings say (admin, /admin/settings),
 * applied once a night by the `apply_retention` task. Every cutoff is `now()` minus a number of
 * months, computed by PostgreSQL like purge_audit_entries(), so one clock decides.
 *
 * Sign-in records: failed attempts (login_failure) and ended sessions (with their browser and
 * system names) go with `signInMonths`. The
 * sign_in / sign_in_failed audit entries carry the client's IP, but the audit log is append-only
 * (decision 0010): PostgreSQL refuses to blank a column there, so those entries, IP included, go
 * whole with the audit retention (`auditMonths`).
 */

export type RetentionSettings = OrganisationSettings["retention"];

/** How many of each were deleted by one pass. */
export interface RetentionCounts {
  drafts: number;
  rejected: number;
  photos: number;
  notifications: number;
  signInFailures: number;
  sessions: number;
  auditEntries: number;
  consentDocuments: number;
}

/** Contributions deleted per transaction: a night's backlog does not hold one long lock. */
const BATCH = 100;

const monthsAgo = (months: number) => sql<Date>`now() - make_interval(months => ${months})`;

/**
 * Deletes what is older than the organisation's retention periods, and records one
 * `retention_applied` audit entry with the counts. Safe to run twice: a second pass finds nothing.
 */
export async function applyRetention(db: DB): Promise<RetentionCounts> {
  const { retention, sessionIdleMinutes } = await getSettings(db);
  const drafts = await deleteOldContributions(db, "draft", retention.draftsMonths);
  const rejected = await deleteOldContributions(db, "rejected", retention.rejectedMonths);
  const counts: RetentionCounts = {
    drafts: drafts.contributions,
    rejected: rejected.contributions,
    photos: drafts.photos + rejected.photos,
    notifications: await deleteRows(db, "notification", "created_at", retention.notificationsMonths),
    signInFailures: await deleteRows(db, "login_failure", "failed_at", retention.signInMonths),
    sessions: await deleteEndedSessions(db, retention.signInMonths, sessionIdleMinutes),
    auditEntries: 0,
    consentDocuments: await purgeConsentDocuments(db, retention.consentDocumentsMonths),
  };
  await db.transaction().execute(async (trx) => {
    // The purge comes first, so this pass's own entry is never among those it removes.
    const { rows } = await sql<{ removed: string }>`SELECT purge_audit_entries(make_interval(months => ${retention.auditMonths})) AS removed`.execute(trx);
    counts.auditEntries = Number(rows[0].removed);
    await audit(trx, null, "retention_applied", null, { ...counts });
  });
  return counts;
}

/**
 * Drafts untouched (updated_at) for `months`, or contributions rejected `months` ago (the last
 * rejection's date), with their photos' rows and files as the author's own deletion does;
 * comments, thanks, history and notifications about them go by cascade.
 */
async function deleteOldContributions(db: DB, status: "draft" | "rejected", months: number): Promise<{ contributions: number; photos: number }> {
  const since =
    status === "draft"
      ? sql<Date>`c.updated_at`
      : sql<Date>`coalesce((SELECT max(e.created_at) FROM contribution_event e WHERE e.contribution_id = c.id AND e.kind = 'rejected'), c.updated_at)`;
  let contributions = 0;
  let photos = 0;
  for (;;) {
    const { ids, keys, photoCount } = await db.transaction().execute(async (trx) => {
      // Locked and checked again under the lock: an author saving the draft at that moment keeps it.
      const rows = await trx
        .selectFrom("contribution as c")
        .select("c.id")
        .where("c.status", "=", status)
        .where(since, "<", monthsAgo(months))
        .orderBy("c.id")
        .limit(BATCH)
        .forUpdate()
        .skipLocked()
        .execute();
      const ids = rows.map((r) => r.id);
      if (ids.length === 0) return { ids, keys: [], photoCount: 0 };
      const { n } = await trx.selectFrom("photo").select((eb) => eb.fn.countAll<string>().as("n")).where("contribution_id", "in", ids).executeTakeFirstOrThrow();
      const keys: string[] = [];
      for (const id of ids) keys.push(...(await deletePhotoRows(trx, { contributionId: id })));
      await trx.deleteFrom("contribution").where("id", "in", ids).execute();
      return { ids, keys, photoCount: Number(n) };
    });
    // After the commit, as deleteContribution does: a rolled-back delete still finds its files.
    await removeFiles(db, keys);
    contributions += ids.length;
    photos += photoCount;
    if (ids.length < BATCH) return { contributions, photos };
  }
}

/**
 * Sessions that ended `months` ago: at their end of life, or when left unused past the idle
 * timeout. An ended session opens nothing; its row only says when, and on what browser, someone
 * signed in. Half-done sign-ins (the step between password and code) go with them.
 */
async function deleteEndedSessions(db: DB, months: number, idleMinutes: number): Promise<number> {
  const result = await db
    .deleteFrom("user_session")
    .where((eb) =>
      eb.or([
        eb("expires_at", "<", monthsAgo(months)),
        eb("last_seen_at", "<", sql<Date>`now() - make_interval(months => ${months}, mins => ${idleMinutes})`),
      ]),
    )
    .executeTakeFirst();
  await db.deleteFrom("sign_in_challenge").where("expires_at", "<", monthsAgo(months)).execute();
  return Number(result.numDeletedRows);
}

async function deleteRows(
  db: DB,
  table: "notification" | "login_failure",
  column: "created_at" | "failed_at",
  months: number,
): Promise<number> {
  const result = await db
    .deleteFrom(table)
    .where(sql.ref(column), "<", monthsAgo(months))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Signed consent forms, `months` after their authorisation was withdrawn or expired (the end of its
 * last day in the organisation's time zone). The authorisation itself stays in the register, with
 * its dates and withdrawal: what is deleted is the signed document, row fields first, then its file.
 */
async function purgeConsentDocuments(db: DB, months: number): Promise<number> {
  const keys = await db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom("consent")
      .select(["id", "form_key"])
      .where("form_key", "is not", null)
      .where((eb) =>
        eb.or([
          eb("withdrawn_at", "<", monthsAgo(months)),
          eb.and([eb("expires_on", "is not", null), eb(endOfDay(eb.ref("expires_on") as Expression<string>), "<", monthsAgo(months))]),
        ]),
      )
      .forUpdate()
      .execute();
    if (rows.length === 0) return [];
    await trx.updateTable("consent").set({ form_key: null, form_type: null, form_bytes: null }).where("id", "in", rows.map((r) => r.id)).execute();
    return rows.map((r) => r.form_key!);
  });
  // After the commit: a rolled-back update must still find its file. Each form is its own file.
  for (const key of keys) await storage().delete(key);
  return keys.length;
}
