import { sql, type RawBuilder, type SelectQueryBuilder } from "kysely";
import type { Database } from "../../db/schema";
import type { SessionUser } from "~/auth/session.server";
import type { DB } from "~/db.server";
import { forbidden } from "~/auth/guards.server";
import { publishedPlacesJson } from "~/publishing/published.server";
import { keptUntilChange } from "~/utils/kept.server";
import { packedJson } from "~/utils/packed";
import type { FeedCard, MyCard } from "./card";
import { firstThankersJson } from "./comments.server";
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

/**
 * A card (FeedCard) of the row `c` of `contribution`, as JSON text made by PostgreSQL: the page's
 * cards go to the browser as they come (utils/packed.ts), and Node parses one text a row rather
 * than a dozen values (decision 0011, eighth pass). `extra` adds keys (MyCard's). Scalar subqueries
 * rather than joins: nothing for PostgreSQL to order when planning (scripts/bench/feeds.ts).
 */
function cardJson(extra?: RawBuilder<unknown>) {
  return sql<string>`json_build_object(
    'id', c.id, 'title', c.title, 'status', c.status, 'approved_at', c.approved_at, 'updated_at', c.updated_at,
    'author_name', (SELECT a.display_name FROM app_user a WHERE a.id = c.author_id),
    'department_name', (SELECT d.name FROM department d WHERE d.id = c.department_id),
    'excerpt', left(c.body_text, 280),
    'cover', (SELECT json_build_object('id', p.id, 'placeholder', p.placeholder, 'width', p.width, 'height', p.height, 'alt', p.alt_text)
      FROM photo p WHERE p.contribution_id = c.id ORDER BY p.position LIMIT 1),
    'photo_count', (SELECT count(*) FROM photo p WHERE p.contribution_id = c.id),
    'thanks_count', (SELECT count(*) FROM thanks t WHERE t.contribution_id = c.id),
    'comment_count', (SELECT count(*) FROM comment m WHERE m.contribution_id = c.id)${extra ? sql`, ${extra}` : sql``})::text`;
}

/** What "mes contributions" adds to a card: what became of the item (the viewer is its author). */
const whatBecameOf = sql`
  'last_decision', (SELECT json_build_object('kind', e.kind, 'message', e.message) FROM contribution_event e
    WHERE e.contribution_id = c.id AND e.kind IN ('approved', 'changes_requested', 'rejected') ORDER BY e.id DESC LIMIT 1),
  'published', ${publishedPlacesJson(sql`c.id`, { withReach: true })},
  'thankers', ${firstThankersJson(sql`c.id`)}`;

async function page<T extends FeedCard>(query: Query, sortColumn: "c.approved_at" | "c.updated_at", cursor: string | null | undefined, extra?: RawBuilder<unknown>) {
  const after = decodeCursor(cursor);
  let q = query;
  if (after) q = q.where(afterCursor(sortColumn, after));
  const rows = await q
    .select([cardJson(extra).as("card"), "c.id", cursorTime(sortColumn).as("cursor_at")])
    .orderBy(sortColumn, "desc")
    .orderBy("c.id", "desc")
    .limit(PAGE_SIZE + 1)
    .execute();
  const items = packedJson<T[]>(`[${rows.slice(0, PAGE_SIZE).map((r) => r.card).join(",")}]`);
  const last = rows[PAGE_SIZE - 1];
  return { items, next: rows.length > PAGE_SIZE ? encodeCursor(last.cursor_at, last.id) : null };
}

/**
 * Feed pages, the same for everyone who may read them: kept until a write of what they show commits
 * (app/utils/kept.server.ts), a few hundred of them (a page is ~20 KB).
 */
const keptFeedPages = keptUntilChange(300, page<FeedCard>);

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

/**
 * The viewer's own contributions in every status, most recently changed first, with what became of
 * each: the page in one statement (each statement beyond the session's costs a page a quarter of
 * its speed, decision 0011).
 */
export async function myContributions(db: DB, viewer: Viewer, cursor?: string | null) {
  const q = db.selectFrom("contribution as c").where("c.author_id", "=", viewer.id);
  return page<MyCard>(q.where(visibleTo(viewer)), "c.updated_at", cursor, whatBecameOf);
}
