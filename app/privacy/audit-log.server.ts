import { sql } from "kysely";
import { z } from "zod";
import { AUDIT_ACTIONS, AUDIT_SUBJECT_TYPES, type AuditAction, type AuditSubjectType, type Role } from "../../db/schema";
import { isoDate } from "~/contributions/schema";
import { cursorTime, decodeCursor, encodeCursor } from "~/contributions/feeds.server";
import type { DB } from "~/db.server";
import { env } from "~/env.server";
import { tFor } from "~/i18n/i18n";
import { endOfDay, startOfDay } from "~/organisation/calendar.server";
import { csvStream, type CsvValue } from "~/utils/csv.server";
import { spreadsheetDateTime } from "~/utils/dates";
import { detailsText } from "./audit";

/*
 * Reading the audit log: the admin page's filters, its pages and the CSV export of what they select.
 * Admins only; the routes check it.
 */

export const AUDIT_PAGE_SIZE = 50;
const EXPORT_BATCH = 1000;

const blank = (v: unknown) => (v === "" || v == null ? undefined : v);

/** The filters, in the URL; each message is shown next to its field. */
export const auditFiltersSchema = z
  .object({
    from: z.preprocess(blank, isoDate("admin.audit.errors.date").optional()),
    to: z.preprocess(blank, isoDate("admin.audit.errors.date").optional()),
    action: z.preprocess(blank, z.enum(AUDIT_ACTIONS as [AuditAction, ...AuditAction[]], "admin.audit.errors.action").optional()),
    actor: z.preprocess(blank, z.string("admin.audit.errors.actor").trim().max(200, "admin.audit.errors.actor").optional()),
    subjectType: z.preprocess(blank, z.enum(AUDIT_SUBJECT_TYPES as [AuditSubjectType, ...AuditSubjectType[]], "admin.audit.errors.subjectType").optional()),
    subjectId: z.preprocess(blank, z.string("admin.audit.errors.subjectId").trim().max(100, "admin.audit.errors.subjectId").optional()),
    // A cursor is the app's own: one that is not (hand-edited) starts from the first page.
    cursor: z.string().max(200).optional().catch(undefined),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: "admin.audit.errors.period", path: ["to"] });
export type AuditFilters = z.infer<typeof auditFiltersSchema>;

export interface AuditRow {
  id: number;
  at: Date;
  actor_id: string | null;
  actor_role: Role | null;
  actor_name: string | null;
  action: AuditAction;
  subject_type: AuditSubjectType | null;
  subject_id: string | null;
  department_name: string | null;
  details: Record<string, unknown>;
  ip: string | null;
}

/** One page, newest first, by keyset (at, id): no OFFSET, so a deep page costs what the first does. */
async function page(db: DB, filters: AuditFilters, after: { at: string; id: number } | null, limit: number) {
  let q = db
    .selectFrom("audit_entry as e")
    .leftJoin("app_user as u", "u.id", "e.actor_id")
    .leftJoin("department as d", "d.id", "e.department_id")
    .select([
      "e.id",
      "e.at",
      cursorTime("e.at").as("cursor_at"),
      "e.actor_id",
      "e.actor_role",
      "u.display_name as actor_name",
      "e.action",
      "e.subject_type",
      "e.subject_id",
      "d.name as department_name",
      "e.details",
      sql<string | null>`host(e.ip)`.as("ip"),
    ])
    .orderBy("e.at", "desc")
    .orderBy("e.id", "desc")
    .limit(limit);
  if (filters.from) q = q.where("e.at", ">=", startOfDay(filters.from));
  if (filters.to) q = q.where("e.at", "<", endOfDay(filters.to));
  if (filters.action) q = q.where("e.action", "=", filters.action);
  if (filters.subjectType) q = q.where("e.subject_type", "=", filters.subjectType);
  if (filters.subjectId) q = q.where("e.subject_id", "=", filters.subjectId);
  if (filters.actor) {
    const like = `%${filters.actor.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const actor = filters.actor;
    q = q.where((eb) =>
      eb.or([eb("e.actor_id", "=", actor), eb(sql`unaccent(u.display_name)`, "ilike", sql`unaccent(${like})`), eb("u.email", "ilike", like)]),
    );
  }
  if (after) q = q.where(sql<boolean>`(e.at, e.id) < (${after.at}::timestamptz, ${after.id})`);
  return q.execute();
}

/** The entries the filters select, a page at a time, and the cursor of the next page. */
export async function listAuditEntries(db: DB, filters: AuditFilters): Promise<{ entries: AuditRow[]; next: string | null }> {
  const rows = await page(db, filters, decodeCursor(filters.cursor), AUDIT_PAGE_SIZE + 1);
  const more = rows.length > AUDIT_PAGE_SIZE;
  const shown = rows.slice(0, AUDIT_PAGE_SIZE);
  const last = shown.at(-1);
  return {
    entries: shown.map(({ cursor_at: _, ...row }) => row),
    next: more && last ? encodeCursor(last.cursor_at, last.id) : null,
  };
}

/**
 * Every entry the filters select (the cursor ignored), as a CSV stream for a French spreadsheet:
 * dates in the organisation's time zone, labels in French.
 */
export function exportAuditCsv(db: DB, filters: AuditFilters): ReadableStream<Uint8Array> {
  const t = tFor("fr");
  const timeZone = env().ORGANISATION_TIME_ZONE;
  const header = ["Date", "Action", "Qui", "Rôle", "Objet", "Identifiant", "Service", "Détails", "Adresse IP"];
  async function* pages(): AsyncGenerator<CsvValue[][]> {
    let after: { at: string; id: number } | null = null;
    for (;;) {
      const rows = await page(db, filters, after, EXPORT_BATCH);
      if (rows.length === 0) return;
      yield rows.map((r) => [
        spreadsheetDateTime(r.at, timeZone),
        t(`admin.audit.actions.${r.action}`),
        r.actor_id ? (r.actor_name ?? r.actor_id) : t("admin.audit.system"),
        r.actor_role ? t(`roles.${r.actor_role}`) : "",
        r.subject_type ? t(`admin.audit.subjects.${r.subject_type}`) : "",
        r.subject_id,
        r.department_name,
        detailsText(r.details),
        r.ip,
      ]);
      if (rows.length < EXPORT_BATCH) return;
      const last = rows[rows.length - 1];
      after = { at: last.cursor_at, id: last.id };
    }
  }
  return csvStream(header, pages());
}

/** The filters as a query string (without the cursor), for the export link and "back to the newest". */
export function filtersQuery(filters: AuditFilters): string {
  const params = new URLSearchParams();
  for (const key of ["from", "to", "action", "actor", "subjectType", "subjectId"] as const) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}
