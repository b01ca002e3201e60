import { sql, type SelectQueryBuilder } from "kysely";
import type { Database } from "../../db/schema";
import type { SessionUser } from "~/auth/session.server";
import type { DB } from "~/db.server";
import { forbidden } from "~/auth/guards.server";
import { keptUntilChange } from "~/utils/kept.server";
import { packedJson } from "~/utils/packed";
import type { FeedCard, MyCard } from "./card";
import { canReadDepartmentFeed } from "./visibility.server";

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
 * A page of cards (FeedCard) of the rows `query` chooses: made by PostgreSQL when what they show is
 * written (`contribution_card`, migration 27), read here by primary key, as JSON text. The page's
 * cards go to the browser as they come (utils/packed.ts), and Node parses one text a row rather than
 * a dozen values (decision 0011, eighth pass). With `mine`, MyCard's: the card's object and its
 * `became_of` keys joined here (in PostgreSQL, cutting a text counts its characters: twice the
 * statement's time).
 */
async function page<T extends FeedCard>(db: DB, query: Query, sortColumn: "c.approved_at" | "c.updated_at", cursor: string | null | undefined, mine = false) {
  const after = decodeCursor(cursor);
  let q = query.leftJoin("contribution_card as k", "k.id", "c.id");
  if (after) q = q.where(afterCursor(sortColumn, after));
  const rows = await q
    .select(["k.card", "c.id", cursorTime(sortColumn).as("cursor_at")])
    .$if(mine, (b) => b.select("k.became_of"))
    .orderBy(sortColumn, "desc")
    .orderBy("c.id", "desc")
    .limit(PAGE_SIZE + 1)
    .execute();
  const shown = rows.slice(0, PAGE_SIZE);
  const made = await missingCards(db, shown);
  // A row whose card could not be made either (deleted in between) is left out.
  const cards = shown.flatMap((r) => {
    const { card, became_of } = r.card === null ? (made.get(r.id) ?? {}) : r;
    if (!card) return [];
    return [mine ? `${card.slice(0, -1)},${became_of!.slice(1)}` : card];
  });
  const items = packedJson<T[]>(`[${cards.join(",")}]`);
  const last = rows[PAGE_SIZE - 1];
  return { items, next: rows.length > PAGE_SIZE ? encodeCursor(last.cursor_at, last.id) : null };
}

/**
 * The cards the rows lack (rows written with triggers disabled: a bulk import, a restore with
 * --disable-triggers), made by their view; none in the common case, and then no statement. Inside the
 * page's statement, the view's eleven subqueries cost each page ~0.1 ms more even when not run.
 */
async function missingCards(db: DB, rows: { id: number; card: string | null }[]) {
  const ids = rows.filter((r) => r.card === null).map((r) => r.id);
  const made = new Map<number, { card: string; became_of: string }>();
  if (ids.length === 0) return made;
  const { rows: found } = await sql<{ id: number; card: string; became_of: string }>`
    SELECT s.id, s.card, s.became_of FROM contribution_card_source s WHERE s.id = ANY (${ids}::bigint[])`.execute(db);
  for (const f of found) made.set(Number(f.id), f);
  return made;
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
  return keptFeedPages(version, `department ${departmentId} ${cursor ?? ""}`, db, q, "c.approved_at", cursor);
}

/** Items approved for the whole organisation, newest first (kept as departmentFeed's are). */
export async function organisationFeed(db: DB, _viewer: Viewer, cursor?: string | null, version?: string | null) {
  const q = db.selectFrom("contribution as c").where("c.status", "=", "approved").where("c.visibility", "=", "organisation");
  return keptFeedPages(version, `organisation ${cursor ?? ""}`, db, q, "c.approved_at", cursor);
}

/**
 * "Mes contributions" pages, kept per person as the feeds' are (a person comes back to see what
 * became of their items: nothing did unless the version moved), the most recently used hundred.
 */
const keptMyPages = keptUntilChange(100, page<MyCard>);

/**
 * The viewer's own contributions in every status, most recently changed first, with what became of
 * each: the page in one statement (each statement beyond the session's costs a page a quarter of
 * its speed, decision 0011). Their author sees them all (visibleTo's first case), so nothing else
 * is asked of a row: its index (author, time, id) alone chooses the page. With the request's content
 * version, the page may come from those kept.
 */
export async function myContributions(db: DB, viewer: Viewer, cursor?: string | null, version?: string | null) {
  const q = db.selectFrom("contribution as c").where("c.author_id", "=", viewer.id);
  return keptMyPages(version, `${viewer.id} ${cursor ?? ""}`, db, q, "c.updated_at", cursor, true);
}
