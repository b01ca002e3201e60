import { sql } from "kysely";
import { z } from "zod";
import type { Actor } from "~/auth/actor";
import { isoDate } from "~/contributions/schema";
import type { DB } from "~/db.server";
import { organisationTimeZone } from "~/organisation/calendar.server";
import { departmentsNow } from "~/organisation/departments.server";
import { todayIn } from "~/utils/dates";
import { keptResult, rollupGeneration } from "./rollup-cache.server";
import { DURATION_BUCKET } from "./rollups.server";
import { addDays, dayCount, MAX_PERIOD_DAYS, PERIOD_KINDS, previousPeriod, resolvePeriod, type Period } from "./period";

/*
 * The recognition statistics (issue 11), read from the roll-ups of rollups.server.ts only: a page
 * never counts the base tables, except the "temps forts" list, which reads the latest publications
 * of the period by time (a bounded index read).
 *
 * Who sees what: managers of a department, that department; managers without a department, comms
 * and admins, every department (one at a time, or all summed); agents, only their own summary.
 * No ranking: contributors come by name, never by a figure.
 */

const blank = (v: unknown) => (v === "" || v == null ? undefined : v);

/** The page's query string: the period and, for those who see every department, one of them. */
export const statisticsQuerySchema = z
  .object({
    period: z.preprocess(blank, z.enum(PERIOD_KINDS, "statistics.errors.period").default("month")),
    from: z.preprocess(blank, isoDate("statistics.errors.date").optional()),
    to: z.preprocess(blank, isoDate("statistics.errors.date").optional()),
    department: z.preprocess(blank, z.coerce.number("statistics.errors.department").int("statistics.errors.department").positive("statistics.errors.department").max(2 ** 31 - 1, "statistics.errors.department").optional()),
  })
  .superRefine((q, ctx) => {
    if (q.period !== "custom") return;
    if (!q.from) ctx.addIssue({ code: "custom", message: "statistics.errors.fromRequired", path: ["from"] });
    if (!q.to) ctx.addIssue({ code: "custom", message: "statistics.errors.toRequired", path: ["to"] });
    if (q.from && q.to && q.from > q.to) ctx.addIssue({ code: "custom", message: "statistics.errors.order", path: ["to"] });
    else if (q.from && q.to && dayCount(q.from, q.to) > MAX_PERIOD_DAYS) ctx.addIssue({ code: "custom", message: "statistics.errors.tooLong", path: ["to"] });
  });
export type StatisticsQuery = z.infer<typeof statisticsQuerySchema>;

/** The period a valid query names, "today" being the organisation's. */
export function periodOf(query: StatisticsQuery, now = new Date()): Period {
  const today = todayIn(organisationTimeZone(), now);
  return resolvePeriod(query.period, today, query.from && query.to ? { from: query.from, to: query.to } : undefined);
}

/** What a dashboard covers: one department, or every department summed. */
export type Scope = { departmentId: number } | { departmentId: null };

/** Who may read every department's figures. */
export function seesEveryDepartment(actor: Actor): boolean {
  return actor.role === "comms" || actor.role === "admin" || (actor.role === "manager" && actor.departmentId === null);
}

/**
 * The scope `actor` asks for with `department` (none: their default), or a 403: agents never, a
 * department's manager only their own department.
 */
export function dashboardScope(actor: Actor, department: number | undefined): Scope {
  if (seesEveryDepartment(actor)) return { departmentId: department ?? null };
  if (actor.role === "manager" && actor.departmentId !== null && (department === undefined || department === actor.departmentId)) {
    return { departmentId: actor.departmentId };
  }
  throw new Response("Forbidden", { status: 403 });
}

export interface Figures {
  submitted: number;
  approved: number;
  published: number;
  thanksReceived: number;
  commentsWritten: number;
  decisions: number;
  /** Median seconds from submission to decision; null without a decision. */
  medianDecisionSeconds: number | null;
}

const SUMS = sql`
  coalesce(sum(submitted_in_review + submitted_changes_requested + submitted_approved + submitted_rejected), 0)::int AS submitted,
  coalesce(sum(approved), 0)::int AS approved,
  coalesce(sum(published), 0)::int AS published,
  coalesce(sum(thanks_received), 0)::int AS thanks_received,
  coalesce(sum(comments_written), 0)::int AS comments_written,
  coalesce(sum(decisions), 0)::int AS decisions`;

interface SumRow {
  submitted: number;
  approved: number;
  published: number;
  thanks_received: number;
  comments_written: number;
  decisions: number;
}

function figures(row: SumRow | undefined, median: number | null | undefined): Figures {
  return {
    submitted: row?.submitted ?? 0,
    approved: row?.approved ?? 0,
    published: row?.published ?? 0,
    thanksReceived: row?.thanks_received ?? 0,
    commentsWritten: row?.comments_written ?? 0,
    decisions: row?.decisions ?? 0,
    medianDecisionSeconds: median == null ? null : Math.round(Number(median)),
  };
}

const MEDIAN = sql<number | null>`percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)`;

function inDepartment(scope: Scope, column = "department_id") {
  return scope.departmentId === null ? sql`true` : sql`${sql.ref(column)} = ${scope.departmentId}`;
}

/** The scope's totals over `range`. */
export async function totals(db: DB, scope: Scope, range: { from: string; to: string }): Promise<Figures> {
  return (await departmentFigures(db, scope, range, { totalsOnly: true })).totals;
}

export interface ChannelCount {
  channelId: number;
  name: string;
  published: number;
}

export interface ContributorRow extends Figures {
  userId: string;
  name: string;
  departmentId: number;
  departmentName: string;
  channels: ChannelCount[];
}

// One collator: localeCompare() with options builds one per call (it showed in the profile).
const collator = new Intl.Collator("fr", { sensitivity: "base" });
const byName = (a: { name: string }, b: { name: string }) => collator.compare(a.name, b.name);

/**
 * One row per person with anything counted in the period, in the department (every department
 * when null: the CSV), by name.
 */
export async function contributorRows(db: DB, departmentId: number | null, range: { from: string; to: string }): Promise<ContributorRow[]> {
  const scope: Scope = { departmentId };
  const [{ rows }, { rows: medians }, { rows: channels }] = await Promise.all([
    sql<SumRow & { user_id: string; department_id: number; name: string; department_name: string }>`
      SELECT s.user_id, s.department_id, u.display_name AS name, d.name AS department_name, ${SUMS}
      FROM statistics_contributor_day s JOIN app_user u ON u.id = s.user_id JOIN department d ON d.id = s.department_id
      WHERE s.day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope, "s.department_id")}
      GROUP BY s.user_id, s.department_id, u.display_name, d.name`.execute(db),
    sql<{ user_id: string; department_id: number; median: number }>`
      SELECT user_id, department_id, ${MEDIAN} AS median FROM statistics_decision
      WHERE day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope)}
      GROUP BY user_id, department_id`.execute(db),
    sql<{ user_id: string; department_id: number; channel_id: number; name: string; published: number }>`
      SELECT s.user_id, s.department_id, s.channel_id, c.name, sum(s.published)::int AS published
      FROM statistics_channel_day s JOIN channel c ON c.id = s.channel_id
      WHERE s.day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope, "s.department_id")}
      GROUP BY s.user_id, s.department_id, s.channel_id, c.name`.execute(db),
  ]);
  const key = (r: { user_id: string; department_id: number }) => `${r.department_id}:${r.user_id}`;
  const medianOf = new Map(medians.map((m) => [key(m), m.median]));
  const channelsOf = new Map<string, ChannelCount[]>();
  for (const c of channels) {
    const list = channelsOf.get(key(c)) ?? [];
    list.push({ channelId: Number(c.channel_id), name: c.name, published: c.published });
    channelsOf.set(key(c), list);
  }
  return rows
    .map((r) => ({
      ...figures(r, medianOf.get(key(r))),
      userId: r.user_id,
      name: r.name,
      departmentId: Number(r.department_id),
      departmentName: r.department_name,
      channels: (channelsOf.get(key(r)) ?? []).sort(byName),
    }))
    .sort((a, b) => collator.compare(a.departmentName, b.departmentName) || byName(a, b) || a.userId.localeCompare(b.userId));
}

export interface DepartmentRow extends Figures {
  departmentId: number;
  name: string;
}

/** Every department's totals over `range` (zeros included), by name. */
export async function departmentRows(db: DB, range: { from: string; to: string }): Promise<DepartmentRow[]> {
  return (await departmentFigures(db, { departmentId: null }, range)).departments;
}

export interface WeekBar {
  /** The Monday the week begins. */
  week: string;
  inReview: number;
  changesRequested: number;
  approved: number;
  rejected: number;
}

/** Contributions by week of submission, by their status now (the chart "par semaine"). */
export async function weeklySubmissions(db: DB, scope: Scope, range: { from: string; to: string }): Promise<WeekBar[]> {
  return (await departmentFigures(db, scope, range)).weeks;
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const mondayOf = (date: string) => isoDay(Date.parse(`${date}T00:00:00Z`) - ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) * DAY_MS);

export interface ChannelMonth {
  /** YYYY-MM */
  month: string;
  counts: Record<string, number>;
}

/** Publications per channel per month (the chart "par canal"); channel names in their order. */
export async function channelMonths(db: DB, scope: Scope, range: { from: string; to: string }): Promise<{ channels: string[]; months: ChannelMonth[] }> {
  // Grouped by day, months made here: formatting a month per row cost more than the sums.
  const { rows } = await sql<{ day: string; channel_id: number; published: number }>`
    SELECT s.day, s.channel_id, sum(s.published)::int AS published
    FROM statistics_channel_day s
    WHERE s.day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope, "s.department_id")}
    GROUP BY 1, 2`.execute(db);
  const ids = [...new Set(rows.map((r) => Number(r.channel_id)))];
  const names = new Map(
    ids.length ? (await db.selectFrom("channel").select(["id", "name"]).where("id", "in", ids).execute()).map((c) => [Number(c.id), c.name]) : [],
  );
  const channels = [...new Set(names.values())].sort(collator.compare);
  const months: ChannelMonth[] = monthsOf(range).map((month) => ({ month, counts: Object.fromEntries(channels.map((c) => [c, 0])) }));
  const byMonth = new Map(months.map((m) => [m.month, m]));
  for (const r of rows) {
    const m = byMonth.get(r.day.slice(0, 7));
    const name = names.get(Number(r.channel_id))!;
    if (m) m.counts[name] += r.published;
  }
  return { channels, months };
}

function monthsOf(range: { from: string; to: string }): string[] {
  const months: string[] = [];
  for (let m = range.from.slice(0, 7); m <= range.to.slice(0, 7); ) {
    months.push(m);
    const [y, mo] = m.split("-").map(Number);
    m = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, "0")}`;
  }
  return months;
}

export interface DepartmentShare {
  month: string;
  contributed: number;
  departments: number;
}

/** Per month, how many departments submitted at least one contribution, of how many there are. */
export async function departmentShares(db: DB, range: { from: string; to: string }): Promise<DepartmentShare[]> {
  return (await departmentFigures(db, { departmentId: null }, range)).shares;
}

type FigureRow = SumRow & {
  g: number;
  department_id: number | null;
  week: string | null;
  month: string | null;
  in_review: number;
  changes_requested: number;
  submitted_approved: number;
  rejected: number;
};

/**
 * What the department-level roll-up gives for a scope and a range, read in one pass (the
 * organisation's year is about 36,000 rows): the totals; per department (every scope) the totals
 * and whether it contributed each month; per week, submissions by status now. Medians in a second
 * pass: a department's exact, over its decisions; the organisation's and each department's in it
 * from the monthly histogram (migration 22), exact to the bucket the page shows.
 */
export async function departmentFigures(db: DB, scope: Scope, range: { from: string; to: string }, options: { totalsOnly?: boolean } = {}) {
  const everyDepartment = scope.departmentId === null && !options.totalsOnly;
  // GROUPING(department_id, week, month): 7 the total, 3 per department, 5 per week, 2 per department and month.
  // GROUPING() takes only columns some set groups by: the same numbers written for the smaller sets.
  const [sets, keys] = options.totalsOnly
    ? [sql`()`, sql`7 AS g, NULL::bigint AS department_id, NULL AS week, NULL AS month`]
    : everyDepartment
      ? [sql`(), (department_id), (week), (month, department_id)`, sql`GROUPING(department_id, week, month) AS g, department_id, week, month`]
      : [sql`(), (week)`, sql`5 + 2 * GROUPING(week) AS g, NULL::bigint AS department_id, week, NULL AS month`];
  const rows: FigureRow[] = scope.departmentId === null ? await organisationFigures(db, range, everyDepartment) : (await sql<FigureRow>`
    SELECT ${keys}, ${SUMS},
      coalesce(sum(submitted_in_review), 0)::int AS in_review, coalesce(sum(submitted_changes_requested), 0)::int AS changes_requested,
      coalesce(sum(submitted_approved), 0)::int AS submitted_approved, coalesce(sum(submitted_rejected), 0)::int AS rejected
    FROM (
      -- Monday and first of the month by date arithmetic: to_char() per row cost more than the sums.
      SELECT *, day - (extract(isodow FROM day)::int - 1) AS week, day - (extract(day FROM day)::int - 1) AS month
      FROM statistics_department_day
      WHERE day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope)}
    ) d
    GROUP BY GROUPING SETS (${sets})`.execute(db)).rows;
  const { rows: medians } =
    scope.departmentId === null
      ? await bucketedMedians(db, range, everyDepartment)
      : await sql<{ g: number; department_id: number | null; median: number | null }>`
          SELECT 1 AS g, NULL::bigint AS department_id, ${MEDIAN} AS median FROM statistics_decision
          WHERE day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope)}`.execute(db);

  const total = rows.find((r) => r.g === 7);
  const totalMedian = medians.find((m) => m.g === 1)?.median;
  const result = {
    totals: figures(total, totalMedian),
    departments: [] as DepartmentRow[],
    weeks: [] as WeekBar[],
    shares: [] as DepartmentShare[],
  };
  if (options.totalsOnly) return result;

  const byWeek = new Map(rows.filter((r) => r.g === 5).map((r) => [r.week!, r]));
  // Every week of the period, empty ones too: a gap is information.
  for (let week = mondayOf(range.from); week <= range.to; week = isoDay(Date.parse(`${week}T00:00:00Z`) + 7 * DAY_MS)) {
    const r = byWeek.get(week);
    result.weeks.push({ week, inReview: r?.in_review ?? 0, changesRequested: r?.changes_requested ?? 0, approved: r?.submitted_approved ?? 0, rejected: r?.rejected ?? 0 });
  }
  if (!everyDepartment) return result;

  // Read now, not from the per-process copy: this result is kept until the generation changes.
  const departments = await departmentsNow(db);
  const perDepartment = new Map(rows.filter((r) => r.g === 3).map((r) => [Number(r.department_id), r]));
  const medianOf = new Map(medians.filter((m) => m.g === 0).map((m) => [Number(m.department_id), m.median]));
  result.departments = departments
    .map((d) => ({ ...figures(perDepartment.get(d.id), medianOf.get(d.id)), departmentId: d.id, name: d.name }))
    .sort(byName);
  const contributed = new Map<string, number>();
  for (const r of rows) if (r.g === 2 && r.submitted > 0) contributed.set(r.month!.slice(0, 7), (contributed.get(r.month!.slice(0, 7)) ?? 0) + 1);
  result.shares = monthsOf(range).map((month) => ({ month, contributed: contributed.get(month) ?? 0, departments: departments.length }));
  return result;
}

const FIGURE_COLUMNS = sql.raw(
  "submitted_in_review, submitted_changes_requested, submitted_approved, submitted_rejected, approved, published, thanks_received, comments_written, decisions",
);
const WEEK_SUMS = sql`coalesce(sum(submitted_in_review), 0)::int AS in_review, coalesce(sum(submitted_changes_requested), 0)::int AS changes_requested,
  coalesce(sum(submitted_approved), 0)::int AS submitted_approved, coalesce(sum(submitted_rejected), 0)::int AS rejected`;

/**
 * Every department summed (departmentFigures' rows, same `g`): totals, per department and per
 * department and month from the department-months of the whole months and the days around them;
 * weeks from the days (a week straddles months).
 */
async function organisationFigures(db: DB, range: { from: string; to: string }, everyDepartment: boolean): Promise<FigureRow[]> {
  const { months, edges } = monthsAndEdges(range);
  const parts = edges.map(
    (e) => sql`SELECT date_trunc('month', day)::date AS month, department_id, ${FIGURE_COLUMNS} FROM statistics_department_day
      WHERE day BETWEEN ${e.from}::date AND ${e.to}::date`,
  );
  if (months) {
    parts.push(sql`SELECT month, department_id, ${FIGURE_COLUMNS} FROM statistics_department_month WHERE month BETWEEN ${months.from}::date AND ${months.to}::date`);
  }
  // GROUPING(department_id, month): 3 the total, 1 per department, 0 per department and month.
  const { rows } = await sql<FigureRow>`
    SELECT ${everyDepartment ? sql`CASE GROUPING(department_id, month) WHEN 3 THEN 7 WHEN 1 THEN 3 ELSE 2 END AS g, department_id, to_char(month, 'YYYY-MM-DD') AS month` : sql`7 AS g, NULL::bigint AS department_id, NULL AS month`},
      NULL AS week, ${SUMS}, 0 AS in_review, 0 AS changes_requested, 0 AS submitted_approved, 0 AS rejected
    FROM (${sql.join(parts, sql` UNION ALL `)}) d
    GROUP BY ${everyDepartment ? sql`GROUPING SETS ((), (department_id), (month, department_id))` : sql`()`}`.execute(db);
  if (!everyDepartment) return rows;
  // Mondays by integer arithmetic on dates (2001-01-01 was a Monday): extract() per row cost more than the sums.
  const { rows: weeks } = await sql<FigureRow>`
    SELECT 5 AS g, NULL::bigint AS department_id, NULL AS month, to_char(week, 'YYYY-MM-DD') AS week, ${WEEK_SUMS}
    FROM (SELECT day - (((day - DATE '2001-01-01') % 7 + 7) % 7) AS week, submitted_in_review, submitted_changes_requested, submitted_approved, submitted_rejected
      FROM statistics_department_day WHERE day BETWEEN ${range.from}::date AND ${range.to}::date) d
    GROUP BY week`.execute(db);
  return [...rows, ...weeks];
}

/** The whole months within `range` (first and last), and the days outside them. */
export function monthsAndEdges(range: { from: string; to: string }): { months: { from: string; to: string } | null; edges: { from: string; to: string }[] } {
  const firstMonth = range.from.endsWith("-01") ? range.from : addDays(`${range.from.slice(0, 7)}-01`, 32).slice(0, 7) + "-01";
  const afterTo = addDays(range.to, 1);
  const afterLastMonth = `${afterTo.slice(0, 7)}-01`; // the first day not in a whole month at the end
  if (firstMonth >= afterLastMonth) return { months: null, edges: [range] };
  const lastMonth = `${addDays(afterLastMonth, -1).slice(0, 7)}-01`;
  const edges = [];
  if (range.from < firstMonth) edges.push({ from: range.from, to: addDays(firstMonth, -1) });
  if (afterLastMonth <= range.to) edges.push({ from: afterLastMonth, to: range.to });
  return { months: { from: firstMonth, to: lastMonth }, edges };
}

/**
 * Every department's medians (when `perDepartment`) and the organisation's, exact to the
 * duration bucket (the minute under a day, the hour from a day on: what the page shows): the
 * whole months from the monthly histogram, the days around them bucketed from their decisions.
 * Ties between two buckets (an even count) give their mean, as percentile_cont would.
 */
async function bucketedMedians(db: DB, range: { from: string; to: string }, perDepartment: boolean) {
  const { months, edges } = monthsAndEdges(range);
  const parts = edges.map(
    (e) => sql`SELECT department_id, ${DURATION_BUCKET} AS bucket, count(*) AS n FROM statistics_decision
      WHERE day BETWEEN ${e.from}::date AND ${e.to}::date GROUP BY 1, 2`,
  );
  if (months) {
    parts.push(sql`SELECT department_id, bucket, decisions AS n FROM statistics_decision_month WHERE month BETWEEN ${months.from}::date AND ${months.to}::date`);
  }
  return sql<{ g: number; department_id: number | null; median: number | null }>`
    WITH h AS (
      SELECT ${perDepartment ? sql`GROUPING(department_id) AS g, department_id` : sql`1 AS g, NULL::bigint AS department_id`}, bucket, sum(n)::bigint AS n
      FROM (${sql.join(parts, sql` UNION ALL `)}) x
      GROUP BY ${perDepartment ? sql`GROUPING SETS ((department_id, bucket), (bucket))` : sql`bucket`}
    ), c AS (
      SELECT g, department_id, bucket, (sum(n) OVER w)::bigint - n AS before, (sum(n) OVER w)::bigint AS upto,
        (sum(n) OVER (PARTITION BY g, department_id))::bigint AS total
      FROM h WINDOW w AS (PARTITION BY g, department_id ORDER BY bucket)
    )
    -- The bucket(s) holding the middle position(s): (total + 1) / 2 and total / 2 + 1, one and the same when odd.
    SELECT g, department_id, avg(bucket)::float8 AS median FROM c
    WHERE (before < (total + 1) / 2 AND (total + 1) / 2 <= upto) OR (before < total / 2 + 1 AND total / 2 + 1 <= upto)
    GROUP BY g, department_id`.execute(db);
}

export interface Highlight {
  contributionId: number;
  title: string;
  /** Null when the author asked not to be named. */
  authorName: string | null;
  departmentName: string;
  /** publishedAt as an ISO instant: the dashboard goes to the browser packed as JSON (utils/packed.ts). */
  placements: { channel: string; publishedAt: string; url: string | null }[];
}

const HIGHLIGHTS = 12;

/**
 * "Temps forts": the latest contributions published outside in the period, with where they ran.
 * An author who opted out of being named (credit_opt_out) is left unnamed here.
 */
export async function highlights(db: DB, scope: Scope, range: { from: string; to: string }): Promise<Highlight[]> {
  const tz = organisationTimeZone();
  let q = db
    .selectFrom("publication as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .innerJoin("app_user as u", "u.id", "c.author_id")
    .innerJoin("department as d", "d.id", "c.department_id")
    .innerJoin("channel as ch", "ch.id", "p.channel_id")
    .select(["c.id", "c.title", "u.display_name", "u.credit_opt_out", "d.name as department_name", "ch.name as channel", "p.published_at", "p.remote_url"])
    .where("p.state", "=", "published")
    .where("p.published_at", ">=", sql<Date>`(${range.from}::date::timestamp AT TIME ZONE ${tz})`)
    .where("p.published_at", "<", sql<Date>`((${range.to}::date + 1)::timestamp AT TIME ZONE ${tz})`)
    .orderBy("p.published_at", "desc")
    .orderBy("p.id", "desc")
    .limit(HIGHLIGHTS * 4);
  if (scope.departmentId !== null) q = q.where("c.department_id", "=", scope.departmentId);
  const rows = await q.execute();
  const items = new Map<number, Highlight>();
  for (const r of rows) {
    let item = items.get(r.id);
    if (!item) {
      if (items.size === HIGHLIGHTS) continue;
      item = { contributionId: r.id, title: r.title, authorName: r.credit_opt_out ? null : r.display_name, departmentName: r.department_name, placements: [] };
      items.set(r.id, item);
    }
    item.placements.push({ channel: r.channel, publishedAt: r.published_at!.toISOString(), url: r.remote_url });
  }
  return [...items.values()];
}

/** The change from the previous period, per figure (null where there is no median on either side). */
export function change(current: Figures, previous: Figures) {
  return {
    submitted: current.submitted - previous.submitted,
    approved: current.approved - previous.approved,
    published: current.published - previous.published,
    thanksReceived: current.thanksReceived - previous.thanksReceived,
    commentsWritten: current.commentsWritten - previous.commentsWritten,
    decisions: current.decisions - previous.decisions,
    medianDecisionSeconds:
      current.medianDecisionSeconds === null || previous.medianDecisionSeconds === null ? null : current.medianDecisionSeconds - previous.medianDecisionSeconds,
  };
}
export type Change = ReturnType<typeof change>;

/**
 * Everything the dashboard shows for `scope` over `period`. One query after another: a request
 * holds one of the pool's few connections at a time, so that ten people opening it together
 * queue fairly instead of each taking every connection.
 */
export async function dashboard(db: DB, scope: Scope, period: Period) {
  const previous = previousPeriod(period);
  // The sums of roll-ups, kept until the roll-ups change; people's names and the highlights, live.
  const generation = await rollupGeneration(db);
  const [current, before, channels] = await keptResult(generation, `dashboard:${scope.departmentId ?? "all"}:${period.from}:${period.to}`, async () => [
    await departmentFigures(db, scope, period),
    await totals(db, scope, previous),
    await channelMonths(db, scope, period),
  ] as const);
  const contributors = scope.departmentId === null ? [] : await contributorRows(db, scope.departmentId, period);
  const tops = await highlights(db, scope, period);
  return {
    period,
    previous,
    totals: current.totals,
    previousTotals: before,
    change: change(current.totals, before),
    contributors,
    departments: current.departments,
    weeks: current.weeks,
    channels,
    shares: current.shares,
    highlights: tops,
  };
}

/**
 * An agent's own figures over `period` and their department's totals: never anyone else's
 * individual figures.
 */
export async function personalSummary(db: DB, actor: Actor, period: { from: string; to: string }) {
  const [{ rows }, { rows: medians }, { rows: channels }, department] = await Promise.all([
    sql<SumRow>`SELECT ${SUMS} FROM statistics_contributor_day
      WHERE user_id = ${actor.id} AND day BETWEEN ${period.from}::date AND ${period.to}::date`.execute(db),
    sql<{ median: number | null }>`SELECT ${MEDIAN} AS median FROM statistics_decision
      WHERE user_id = ${actor.id} AND day BETWEEN ${period.from}::date AND ${period.to}::date`.execute(db),
    sql<{ channel_id: number; name: string; published: number }>`
      SELECT s.channel_id, c.name, sum(s.published)::int AS published
      FROM statistics_channel_day s JOIN channel c ON c.id = s.channel_id
      WHERE s.user_id = ${actor.id} AND s.day BETWEEN ${period.from}::date AND ${period.to}::date
      GROUP BY s.channel_id, c.name`.execute(db),
    actor.departmentId === null
      ? Promise.resolve(null)
      : Promise.all([
          totals(db, { departmentId: actor.departmentId }, period),
          db.selectFrom("department").select("name").where("id", "=", actor.departmentId).executeTakeFirst(),
        ]),
  ]);
  return {
    mine: figures(rows[0], medians[0]?.median),
    channels: channels.map((c) => ({ channelId: Number(c.channel_id), name: c.name, published: c.published })).sort(byName),
    department: department && department[1] ? { name: department[1].name, totals: department[0] } : null,
  };
}
