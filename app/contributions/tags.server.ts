import { sql } from "kysely";
import type { SessionUser } from "~/auth/session.server";
import type { DB } from "~/db.server";
import { memoize } from "~/utils/memo.server";
import { readsOtherDepartments } from "./visibility.server";

type Viewer = Pick<SessionUser, "id" | "role" | "departmentId">;

/**
 * Rebuilds the `tag_usage` roll-up: approved contributions per tag, for the organisation (items
 * approved for everyone) and per department (items approved for that department). Run hourly by
 * the worker (and once after the demo seed); one pass over the approved items, in a transaction
 * so that readers see the old counts or the new ones.
 */
export async function refreshTagUsage(db: DB): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // One rebuild at a time (the hourly job, the demo seed): a second one waits, then replaces the
    // first one's rows instead of adding to them. Readers are not held up.
    // It reads every approved contribution (0.8 s at 500,000): more than the pool's statement
    // timeout, meant for requests (DATABASE_STATEMENT_TIMEOUT_MS), allows as the table grows.
    await sql`SET LOCAL statement_timeout = '10min'`.execute(trx);
    await sql`LOCK TABLE tag_usage IN EXCLUSIVE MODE`.execute(trx);
    await trx.deleteFrom("tag_usage").execute();
    await sql`
      INSERT INTO tag_usage (department_id, tag, uses)
      SELECT CASE WHEN c.visibility = 'organisation' THEN NULL ELSE c.department_id END, t.tag, count(*)
      FROM contribution c CROSS JOIN LATERAL unnest(c.tags) AS t (tag)
      WHERE c.status = 'approved'
      GROUP BY 1, 2`.execute(trx);
  });
  suggestions.clear();
}

/** Per audience (every department, or the organisation and one department): the roll-up changes hourly. */
const suggestions = memoize(5 * 60_000, async (db: DB, departmentId: number | null | "all", limit: number) => {
  let q = db.selectFrom("tag_usage as u").select("u.tag");
  if (departmentId !== "all") {
    q = q.where((eb) => eb.or([eb("u.department_id", "is", null), ...(departmentId === null ? [] : [eb("u.department_id", "=", departmentId)])]));
  }
  const rows = await q.groupBy("u.tag").orderBy(sql`sum(u.uses)`, "desc").orderBy("u.tag").limit(limit).execute();
  return rows.map((r) => r.tag);
});

/**
 * The tags most used among the approved items the viewer may read (as of the last roll-up):
 * those approved for the organisation, and those approved for a department whose feed the viewer
 * reads (canReadDepartmentFeed: their own; every department for comms and organisation-wide
 * managers). For the tag filters' suggestions.
 */
export async function popularTags(db: DB, viewer: Viewer, limit = 50): Promise<string[]> {
  const audience = readsOtherDepartments(viewer) ? "all" : viewer.departmentId;
  return suggestions(`${audience}:${limit}`, db, audience, limit);
}
