import { sql } from "kysely";
import { z } from "zod";
import type { ContributionStatus } from "../../db/schema";
import type { SessionUser } from "~/auth/session.server";
import { plannedForItsValues, type DB } from "~/db.server";
import { afterCursor, cursorTime, decodeCursor, encodeCursor, PAGE_SIZE } from "./feeds.server";
import { highlighter } from "./excerpt";
import { departmentChoices } from "~/organisation/departments.server";
import { endOfDay, startOfDay } from "~/organisation/calendar.server";
import { isoDate } from "./schema";
import { popularTags } from "./tags.server";
import { visibleTo } from "./visibility.server";
import { keptUntilChange } from "~/utils/kept.server";

type Viewer = Pick<SessionUser, "id" | "role" | "departmentId">;

const blank = (v: unknown) => (v === "" || v == null ? undefined : v);
const optionalDate = z.preprocess(blank, isoDate("search.errors.date").optional());

/** The department and tag filters (search, review inbox), in the URL; each message goes by its field. */
export const departmentTagFilters = z.object({
  department: z.preprocess(blank, z.coerce.number("search.errors.department").int("search.errors.department").positive("search.errors.department").optional()),
  tag: z.preprocess(blank, z.string("search.errors.tag").trim().max(40, "search.errors.tag").optional()),
});

/** The search form's fields (in the URL); each message is shown next to its field. */
export const searchParamsSchema = departmentTagFilters.extend({
  q: z.string("search.errors.q").trim().max(200, "search.errors.q").default(""),
  from: optionalDate,
  to: optionalDate,
  status: z.preprocess(
    blank,
    z.enum(["draft", "submitted", "changes_requested", "approved", "rejected", "archived"], "search.errors.status").optional(),
  ),
  // A cursor is the app's own: one that is not (hand-edited) starts from the first page.
  cursor: z.string().max(200).optional().catch(undefined),
}).refine((p) => !p.from || !p.to || p.from <= p.to, { message: "search.errors.range", path: ["to"] });
export type SearchParams = z.infer<typeof searchParamsSchema>;

/**
 * French full-text search (accents ignored) over title, body, tags and place, among what the
 * viewer may see, newest first, with highlighted excerpts; filters by department, tag, date
 * (of the last change) and status.
 */
export async function searchContributions(db: DB, viewer: Viewer, params: SearchParams) {
  const tsquery = sql`websearch_to_tsquery('relais_french', ${params.q})`;
  // The page's ids come from the narrow copy that search keeps (migration 05), the rest from `contribution`.
  let q = db.selectFrom("contribution_search as c").where(visibleTo(viewer));
  if (params.q) q = q.where(sql<boolean>`c.search @@ ${tsquery}`);
  if (params.department) q = q.where("c.department_id", "=", params.department);
  if (params.tag) q = q.where(sql<boolean>`c.tags @> ARRAY[${params.tag.toLowerCase()}]::text[]`);
  if (params.status) q = q.where("c.status", "=", params.status as ContributionStatus);
  // Days as the organisation counts them (the dates shown are in its time zone too).
  if (params.from) q = q.where("c.updated_at", ">=", startOfDay(params.from));
  if (params.to) q = q.where("c.updated_at", "<", endOfDay(params.to));
  const after = decodeCursor(params.cursor);
  if (after) q = q.where(afterCursor("c.updated_at", after));

  // Two steps in one query: the page's ids first (only narrow columns per match, so a rare word's
  // hundreds of matches are sorted cheaply), then the wide columns of those 21 rows alone, fetched
  // by primary key. Written as SQL: with no join to order, PostgreSQL plans it in a fraction of
  // the time, and this is the hottest query of the intranet (scripts/bench/feeds.ts).
  const pageIds = q
    .select("c.id")
    .orderBy("c.updated_at", "desc")
    .orderBy("c.id", "desc")
    .limit(PAGE_SIZE + 1);
  const { rows } = await sql<{
    id: number;
    title: string;
    status: ContributionStatus;
    tags: string[];
    place: string | null;
    updated_at: Date;
    approved_at: Date | null;
    author_name: string;
    department_name: string;
    cursor_at: string;
    body_head: string;
    stems: string[];
  }>`
    SELECT c.id, c.title, c.status, c.tags, c.place, c.updated_at, c.approved_at,
      (SELECT a.display_name FROM app_user a WHERE a.id = c.author_id) AS author_name,
      (SELECT d.name FROM department d WHERE d.id = c.department_id) AS department_name,
      ${cursorTime("c.updated_at")} AS cursor_at,
      left(c.body_text, 3000) AS body_head,
      -- The search words as PostgreSQL's French stemmer reduces them (unaccented), for highlighting.
      (SELECT coalesce(array_agg(lexeme), '{}') FROM unnest(to_tsvector('relais_french', ${params.q}))) AS stems
    FROM contribution c
    WHERE c.id = ANY (ARRAY(${pageIds}))
    ORDER BY c.updated_at DESC, c.id DESC${plannedForItsValues}`.execute(db);
  const mark = highlighter(rows[0]?.stems ?? []);
  const items = rows.slice(0, PAGE_SIZE).map(({ body_head, stems: _stems, cursor_at: _, ...row }) => ({
    ...row,
    excerpt: mark(body_head, 40),
    titleParts: mark(row.title),
  }));
  const last = rows[PAGE_SIZE - 1];
  return { items, next: rows.length > PAGE_SIZE ? encodeCursor(last.cursor_at, last.id) : null };
}

/**
 * A person's pages of results, kept until a write of what they show commits (app/utils/kept.server.ts):
 * Remix asks for the results again at each return to them (back from a result, the pager, the
 * browser's history), and nothing they show has changed unless the version has. Kept per person and
 * per search (one's own drafts are among one's results), the most recently used hundred (tens of KB
 * each with their markup); a search not kept costs what it did (decision 0011, twelfth pass).
 */
const keptSearches = keptUntilChange(100, searchContributions);

/** What decides a person's results: who they are, as far as visibleTo reads it, and the search. */
function searchKey(viewer: Viewer, params: SearchParams): string {
  return JSON.stringify([viewer.id, viewer.role, viewer.departmentId, params]);
}

/**
 * What the search page shows: the filters' choices (departments, tag suggestions) and, once
 * something is asked (`params`), a page of results: kept with the request's content version
 * (`contentVersion`), made anew without it. The route and the benchmark both call this.
 */
export async function searchPage(db: DB, viewer: Viewer, params: SearchParams | null, version?: string | null) {
  const [departments, tags, results] = await Promise.all([
    departmentChoices(db),
    popularTags(db, viewer),
    params ? keptSearches(version, searchKey(viewer, params), db, viewer, params) : null,
  ]);
  return { departments, tags, results };
}
