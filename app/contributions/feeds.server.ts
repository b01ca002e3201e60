import { sql, type SelectQueryBuilder } from "kysely";
import type { Database } from "../../db/schema";
import type { SessionUser } from "~/auth/session.server";
import type { DB } from "~/db.server";
import { forbidden } from "~/auth/guards.server";
import { keptUntilChange } from "~/utils/kept.server";
import { canReadDepartmentFeed, visibleTo } from "./visibility.server";

export const PAGE_SIZE = 20;
type Viewer = Pick<SessionUser, "id" | "role" | "departmentId">;
type Query = SelectQueryBuilder<Database & { c: Database["contribution"] }, "c", object>;

/**
 * Cursor of keyset pagination: the exact sort time (microseconds, as PostgreSQL keeps it: a JS Date
 * would round to milliseconds and skip rows sharing that millisecond) and the id of the last item.
 */
export function encodeCursor(at: string, id: number): string {
  return Buffer.from(`${at}|${id}`).toString("base64url");
}

export function decodeCursor(cursor: string | null | undefined): { at: string; id: number } | null {
  if (!cursor) return null;
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const n = Number(id);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(at ?? "") || !Number.isSafeInteger(n)) return null;
  // A well-shaped but impossible time (month 13) would fail in PostgreSQL: it must round-trip.
  const date = new Date(at.slice(0, 23) + "Z");
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 19) === at.slice(0, 19) ? { at, id: n } : null;
}

/** The text form of a timestamp column that decodeCursor accepts, to select beside the rows. */
export function cursorTime(column: string) {
  return sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** Rows strictly after the cursor in (column DESC, id DESC) order. */
export function afterCursor(column: string, after: { at: string; id: number }) {
  return sql<boolean>`(${sql.ref(column)}, c.id) < (${after.at}::timestamptz, ${after.id})`;
}

/** The columns a feed card shows: excerpt, author, department, first photo, counters. */
function cardColumns(q: Query) {
  return q
    .select([
      "c.id",
      "c.title",
      "c.status",
      "c.visibility",
      "c.tags",
      "c.event_date",
      "c.place",
      "c.approved_at",
      "c.updated_at",
      "c.author_id",
      // Scalar subqueries rather than joins: nothing for PostgreSQL to order when planning, which
      // cost more than running this query (scripts/bench/feeds.ts).
      sql<string>`(SELECT a.display_name FROM app_user a WHERE a.id = c.author_id)`.as("author_name"),
      sql<string>`(SELECT d.name FROM department d WHERE d.id = c.department_id)`.as("department_name"),
      sql<string>`left(c.body_text, 280)`.as("excerpt"),
    ])
    .select((eb) => [
      eb
        .selectFrom("photo as p")
        .select(sql<{ id: number; placeholder: string; width: number; height: number; alt: string } | null>`
          json_build_object('id', p.id, 'placeholder', p.placeholder, 'width', p.width, 'height', p.height, 'alt', p.alt_text)`.as("x"))
        .whereRef("p.contribution_id", "=", "c.id")
        .orderBy("p.position")
        .limit(1)
        .as("cover"),
      eb.selectFrom("photo as p").select(sql<number>`count(*)::int`.as("n")).whereRef("p.contribution_id", "=", "c.id").as("photo_count"),
      eb.selectFrom("thanks as t").select(sql<number>`count(*)::int`.as("n")).whereRef("t.contribution_id", "=", "c.id").as("thanks_count"),
      eb.selectFrom("comment as m").select(sql<number>`count(*)::int`.as("n")).whereRef("m.contribution_id", "=", "c.id").as("comment_count"),
      // The latest decision and its comment, so authors see it in their list.
      eb
        .selectFrom("contribution_event as e")
        .select(sql<{ kind: string; message: string | null } | null>`json_build_object('kind', e.kind, 'message', e.message)`.as("x"))
        .whereRef("e.contribution_id", "=", "c.id")
        .where("e.kind", "in", ["approved", "changes_requested", "rejected"])
        .orderBy("e.id", "desc")
        .limit(1)
        .as("last_decision"),
    ]);
}

async function page(query: Query, sortColumn: "c.approved_at" | "c.updated_at", cursor: string | null | undefined) {
  const after = decodeCursor(cursor);
  let q = query;
  if (after) q = q.where(afterCursor(sortColumn, after));
  const rows = await cardColumns(q.orderBy(sortColumn, "desc").orderBy("c.id", "desc").limit(PAGE_SIZE + 1))
    .select(cursorTime(sortColumn).as("cursor_at"))
    .execute();
  const items = rows.slice(0, PAGE_SIZE).map(({ cursor_at: _, ...item }) => item);
  const last = rows[PAGE_SIZE - 1];
  return { items, next: rows.length > PAGE_SIZE ? encodeCursor(last.cursor_at, last.id) : null };
}

/**
 * Feed pages, the same for everyone who may read them: kept until a write of what they show commits
 * (app/utils/kept.server.ts), a few hundred of them (a page is ~20 KB).
 */
const keptFeedPages = keptUntilChange(300, page);

/**
 * Approved items of a department (both visibilities), newest first: the viewer's own, or another
 * one that they oversee (comms, organisation-wide managers); 403 for anyone else. With the
 * request's content version (`contentVersion`), the page may come from those kept.
 */
export async function departmentFeed(db: DB, viewer: Viewer, cursor?: string | null, departmentId = viewer.departmentId, version?: string | null) {
  if (departmentId === null) return organisationFeed(db, viewer, cursor, version);
  if (!canReadDepartmentFeed(viewer, departmentId)) throw forbidden();
  const q = db.selectFrom("contribution as c").where("c.status", "=", "approved").where("c.department_id", "=", departmentId);
  return keptFeedPages(version, `department ${departmentId} ${cursor ?? ""}`, q, "c.approved_at", cursor);
}

/** Items approved for the whole organisation, newest first (kept as departmentFeed's are). */
export async function organisationFeed(db: DB, _viewer: Viewer, cursor?: string | null, version?: string | null) {
  const q = db.selectFrom("contribution as c").where("c.status", "=", "approved").where("c.visibility", "=", "organisation");
  return keptFeedPages(version, `organisation ${cursor ?? ""}`, q, "c.approved_at", cursor);
}

/** The viewer's own contributions in every status, most recently changed first. */
export async function myContributions(db: DB, viewer: Viewer, cursor?: string | null) {
  const q = db.selectFrom("contribution as c").where("c.author_id", "=", viewer.id);
  return page(q.where(visibleTo(viewer)), "c.updated_at", cursor);
}
