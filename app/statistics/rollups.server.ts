import { sql, type RawBuilder, type Transaction } from "kysely";
import type { Database, DB } from "~/db.server";
import { organisationTimeZone } from "~/organisation/calendar.server";

/*
 * The statistics roll-ups (migration 16): per contributor and day, per department and day, per
 * channel, and one row per decision for medians; per department and month (migration 22), the
 * department-days summed and the decisions counted per duration bucket, for the organisation's
 * view (recomputed whole with the days of the month they hold). Every figure is recomputed a day
 * at a time from the base tables, by one rule (`recomputeDays`) shared by the minute job (`refreshStatistics`,
 * for the hours the triggers marked) and the full rebuild (`rebuildStatistics`).
 *
 * What counts, and where:
 * - submitted: a contribution on the day of its latest submission (a resubmission after changes
 *   moves it, a withdrawal removes it), split by its status now;
 * - approved: on the day it was approved;
 * - published: each publication that went out, on its day (every channel is outside);
 * - thanks received: on the day given, for the contribution's author;
 * - decisions: each approval, request for changes or rejection, with the seconds since the
 *   submission it answered (the latest `submitted` event before it);
 * - comments written: for the writer, in the writer's department now (a comment belongs to no
 *   department of its own); the others in the contribution's department (where it was written).
 */

// One recomputation at a time: the job's and a rebuild's would otherwise both insert a day's rows.
const LOCK = sql`pg_advisory_xact_lock(hashtext('relais:statistics'))`;
const DECISIONS = sql`('approved', 'changes_requested', 'rejected')`;

/**
 * A decision's duration rounded down to what the page shows: the minute under a day, the hour
 * from a day on (migration 22). The organisation-wide medians are exact to that bucket.
 */
export const DURATION_BUCKET = sql<number>`(CASE WHEN seconds < 86400 THEN seconds - seconds % 60 ELSE seconds - seconds % 3600 END)`;

interface Range {
  from: string;
  to: string;
}

/** `column` within the organisation's days of `range` (all of them when null), index-friendly. */
function within(column: RawBuilder<unknown>, range: Range | null): RawBuilder<boolean> {
  if (!range) return sql<boolean>`${column} IS NOT NULL`;
  const tz = organisationTimeZone();
  return sql<boolean>`(${column} >= (${range.from}::date::timestamp AT TIME ZONE ${tz}) AND ${column} < ((${range.to}::date + 1)::timestamp AT TIME ZONE ${tz}))`;
}

function dayOf(column: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`(${column} AT TIME ZONE ${organisationTimeZone()})::date`;
}

function days(column: RawBuilder<unknown>, range: Range | null): RawBuilder<boolean> {
  return range ? sql<boolean>`${column} BETWEEN ${range.from}::date AND ${range.to}::date` : sql<boolean>`true`;
}

/**
 * Replaces the roll-ups of the organisation's days `range.from`..`range.to` (every day when
 * null) with what the base tables hold now. Run inside a transaction holding LOCK.
 */
async function recomputeDays(trx: Transaction<Database>, range: Range | null): Promise<void> {
  // Long ranges (a rebuild) read everything: more than the pool's per-request statement timeout.
  await sql`SET LOCAL statement_timeout = '30min'`.execute(trx);
  for (const table of ["statistics_decision", "statistics_contributor_day", "statistics_department_day", "statistics_channel_day"]) {
    await sql`DELETE FROM ${sql.table(table)} WHERE ${days(sql.ref("day"), range)}`.execute(trx);
  }

  await sql`
    INSERT INTO statistics_decision (event_id, day, department_id, user_id, outcome, seconds)
    SELECT e.id, ${dayOf(sql.ref("e.created_at"))}, c.department_id, c.author_id, e.kind,
           greatest(0, floor(extract(epoch FROM e.created_at - s.created_at)))::int
    FROM contribution_event e
    JOIN contribution c ON c.id = e.contribution_id
    CROSS JOIN LATERAL (
      SELECT s.created_at FROM contribution_event s
      WHERE s.contribution_id = e.contribution_id AND s.kind = 'submitted' AND s.id < e.id
      ORDER BY s.id DESC LIMIT 1
    ) s
    WHERE e.kind IN ${DECISIONS} AND ${within(sql.ref("e.created_at"), range)}`.execute(trx);
  // The months touching the range, whole, from the decisions (the other days' are already right).
  const months = range
    ? sql<boolean>`month BETWEEN date_trunc('month', ${range.from}::date)::date AND date_trunc('month', ${range.to}::date)::date`
    : sql<boolean>`true`;
  const monthDays = range
    ? sql<boolean>`day >= date_trunc('month', ${range.from}::date)::date AND day < (date_trunc('month', ${range.to}::date) + interval '1 month')::date`
    : sql<boolean>`true`;
  await sql`DELETE FROM statistics_decision_month WHERE ${months}`.execute(trx);
  await sql`
    INSERT INTO statistics_decision_month (month, department_id, bucket, decisions)
    SELECT date_trunc('month', day)::date, department_id, ${DURATION_BUCKET}, count(*)
    FROM statistics_decision WHERE ${monthDays}
    GROUP BY 1, 2, 3`.execute(trx);

  const zero = sql.raw("0");
  const one = sql.raw("1");
  // Each source gives rows of the same shape; the sum per (department, day, person) is the roll-up.
  const row = (f: Partial<Record<string, RawBuilder<unknown>>>) =>
    sql.join(
      [
        "submitted_in_review",
        "submitted_changes_requested",
        "submitted_approved",
        "submitted_rejected",
        "approved",
        "published",
        "thanks_received",
        "comments_written",
        "decisions",
        "changes_requested",
        "rejected",
      ].map((name) => sql`${f[name] ?? zero} AS ${sql.id(name)}`),
    );
  await sql`
    INSERT INTO statistics_contributor_day (department_id, day, user_id, submitted_in_review, submitted_changes_requested,
      submitted_approved, submitted_rejected, approved, published, thanks_received, comments_written, decisions, changes_requested, rejected)
    SELECT department_id, day, user_id, sum(submitted_in_review), sum(submitted_changes_requested), sum(submitted_approved),
      sum(submitted_rejected), sum(approved), sum(published), sum(thanks_received), sum(comments_written), sum(decisions),
      sum(changes_requested), sum(rejected)
    FROM (
      SELECT c.department_id, ${dayOf(sql.ref("c.submitted_at"))} AS day, c.author_id AS user_id, ${row({
        submitted_in_review: sql`(c.status = 'submitted')::int`,
        submitted_changes_requested: sql`(c.status = 'changes_requested')::int`,
        submitted_approved: sql`(c.status IN ('approved', 'archived'))::int`,
        submitted_rejected: sql`(c.status = 'rejected')::int`,
      })}
      FROM contribution c WHERE ${within(sql.ref("c.submitted_at"), range)}
      UNION ALL
      SELECT c.department_id, ${dayOf(sql.ref("c.approved_at"))}, c.author_id, ${row({ approved: one })}
      FROM contribution c WHERE ${within(sql.ref("c.approved_at"), range)}
      UNION ALL
      SELECT c.department_id, ${dayOf(sql.ref("p.published_at"))}, c.author_id, ${row({ published: one })}
      FROM publication p JOIN contribution c ON c.id = p.contribution_id
      WHERE p.state = 'published' AND ${within(sql.ref("p.published_at"), range)}
      UNION ALL
      SELECT c.department_id, ${dayOf(sql.ref("t.created_at"))}, c.author_id, ${row({ thanks_received: one })}
      FROM thanks t JOIN contribution c ON c.id = t.contribution_id WHERE ${within(sql.ref("t.created_at"), range)}
      UNION ALL
      SELECT u.department_id, ${dayOf(sql.ref("m.created_at"))}, m.author_id, ${row({ comments_written: one })}
      FROM comment m JOIN app_user u ON u.id = m.author_id
      WHERE u.department_id IS NOT NULL AND ${within(sql.ref("m.created_at"), range)}
      UNION ALL
      SELECT d.department_id, d.day, d.user_id, ${row({
        decisions: one,
        changes_requested: sql`(d.outcome = 'changes_requested')::int`,
        rejected: sql`(d.outcome = 'rejected')::int`,
      })}
      FROM statistics_decision d WHERE ${days(sql.ref("d.day"), range)}
    ) x
    GROUP BY department_id, day, user_id`.execute(trx);

  await sql`
    INSERT INTO statistics_department_day (day, department_id, submitted_in_review, submitted_changes_requested,
      submitted_approved, submitted_rejected, approved, published, thanks_received, comments_written, decisions, changes_requested, rejected)
    SELECT day, department_id, sum(submitted_in_review), sum(submitted_changes_requested), sum(submitted_approved),
      sum(submitted_rejected), sum(approved), sum(published), sum(thanks_received), sum(comments_written), sum(decisions),
      sum(changes_requested), sum(rejected)
    FROM statistics_contributor_day WHERE ${days(sql.ref("day"), range)}
    GROUP BY day, department_id`.execute(trx);

  await sql`DELETE FROM statistics_department_month WHERE ${months}`.execute(trx);
  await sql`
    INSERT INTO statistics_department_month (month, department_id, submitted_in_review, submitted_changes_requested,
      submitted_approved, submitted_rejected, approved, published, thanks_received, comments_written, decisions, changes_requested, rejected)
    SELECT date_trunc('month', day)::date, department_id, sum(submitted_in_review), sum(submitted_changes_requested), sum(submitted_approved),
      sum(submitted_rejected), sum(approved), sum(published), sum(thanks_received), sum(comments_written), sum(decisions),
      sum(changes_requested), sum(rejected)
    FROM statistics_department_day WHERE ${monthDays}
    GROUP BY 1, 2`.execute(trx);
  await sql`
    INSERT INTO statistics_channel_day (department_id, day, user_id, channel_id, published)
    SELECT c.department_id, ${dayOf(sql.ref("p.published_at"))}, c.author_id, p.channel_id, count(*)
    FROM publication p JOIN contribution c ON c.id = p.contribution_id
    WHERE p.state = 'published' AND ${within(sql.ref("p.published_at"), range)}
    GROUP BY 1, 2, 3, 4`.execute(trx);
  // In the same transaction: results kept for the old value are not read again (rollup-cache.server.ts).
  await sql`INSERT INTO statistics_generation (id) VALUES (1)
    ON CONFLICT (id) DO UPDATE SET generation = gen_random_uuid(), changed_at = now()`.execute(trx);
}

/** Consecutive days in runs: [from, to] pairs, so that a backfill is one pass and not one per day. */
export function dayRuns(sortedDays: string[]): Range[] {
  const runs: Range[] = [];
  for (const day of sortedDays) {
    const last = runs.at(-1);
    if (last && Date.parse(`${day}T00:00:00Z`) - Date.parse(`${last.to}T00:00:00Z`) === 86_400_000) last.to = day;
    else runs.push({ from: day, to: day });
  }
  return runs;
}

/**
 * Recomputes the days in which something counted changed since the last run (the triggers mark
 * the hours, UTC). Run every minute by the worker; returns the number of days recomputed.
 */
export async function refreshStatistics(db: DB): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT ${LOCK}`.execute(trx);
    const tz = organisationTimeZone();
    // An hour can straddle two of the organisation's days (zones half an hour off): both.
    const { rows } = await sql<{ day: string }>`
      WITH gone AS (DELETE FROM statistics_dirty RETURNING at)
      SELECT DISTINCT to_char(d, 'YYYY-MM-DD') AS day FROM gone,
        LATERAL (VALUES ((at AT TIME ZONE ${tz})::date), (((at + interval '1 hour' - interval '1 microsecond') AT TIME ZONE ${tz})::date)) v (d)
      ORDER BY 1`.execute(trx);
    for (const range of dayRuns(rows.map((r) => r.day))) await recomputeDays(trx, range);
    return rows.length;
  });
}

/** Recomputes every roll-up from the base tables (after a bulk import, in tests, on the bench). */
export async function rebuildStatistics(db: DB): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT ${LOCK}`.execute(trx);
    await sql`DELETE FROM statistics_dirty`.execute(trx);
    await recomputeDays(trx, null);
  });
}
