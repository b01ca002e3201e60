import { sql } from "kysely";
import { z } from "zod";
import type { Actor } from "~/auth/actor";
import { isoDate } from "~/contributions/schema";
import type { DB } from "~/db.server";
import { organisationTimeZone } from "~/organisation/calendar.server";
import { todayIn } from "~/utils/dates";
import { dayCount, MAX_PERIOD_DAYS, PERIOD_KINDS, previousPeriod, resolvePeriod, type Period } from "./period";

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
  const [{ rows: sums }, { rows: medians }] = await Promise.all([
    sql<SumRow>`SELECT ${SUMS} FROM statistics_department_day
      WHERE day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope)}`.execute(db),
    sql<{ median: number | null }>`SELECT ${MEDIAN} AS median FROM statistics_decision
      WHERE day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope)}`.execute(db),
  ]);
  return figures(sums[0], medians[0]?.median);
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

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, "fr", { sensitivity: "base" });

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
    .sort((a, b) => a.departmentName.localeCompare(b.departmentName, "fr") || byName(a, b) || a.userId.localeCompare(b.userId));
}

export interface DepartmentRow extends Figures {
  departmentId: number;
  name: string;
}

/** Every department's totals over `range` (zeros included), by name. */
export async function departmentRows(db: DB, range: { from: string; to: string }): Promise<DepartmentRow[]> {
  const [{ rows }, { rows: medians }] = await Promise.all([
    sql<SumRow & { department_id: number; name: string }>`
      SELECT d.id AS department_id, d.name, s.*
      FROM department d LEFT JOIN LATERAL (
        SELECT ${SUMS} FROM statistics_department_day
        WHERE department_id = d.id AND day BETWEEN ${range.from}::date AND ${range.to}::date
      ) s ON true`.execute(db),
    sql<{ department_id: number; median: number }>`
      SELECT department_id, ${MEDIAN} AS median FROM statistics_decision
      WHERE day BETWEEN ${range.from}::date AND ${range.to}::date GROUP BY department_id`.execute(db),
  ]);
  const medianOf = new Map(medians.map((m) => [Number(m.department_id), m.median]));
  return rows.map((r) => ({ ...figures(r, medianOf.get(Number(r.department_id))), departmentId: Number(r.department_id), name: r.name })).sort(byName);
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
  const { rows } = await sql<{ week: string; in_review: number; changes_requested: number; approved: number; rejected: number }>`
    SELECT to_char(date_trunc('week', day), 'YYYY-MM-DD') AS week,
      sum(submitted_in_review)::int AS in_review, sum(submitted_changes_requested)::int AS changes_requested,
      sum(submitted_approved)::int AS approved, sum(submitted_rejected)::int AS rejected
    FROM statistics_department_day
    WHERE day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope)}
    GROUP BY 1`.execute(db);
  const found = new Map(rows.map((r) => [r.week, r]));
  // Every week of the period, empty ones too: a gap is information.
  const bars: WeekBar[] = [];
  const monday = (date: string) => {
    const weekday = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
    return new Date(Date.parse(`${date}T00:00:00Z`) - weekday * 86_400_000).toISOString().slice(0, 10);
  };
  for (let week = monday(range.from); week <= range.to; week = new Date(Date.parse(`${week}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10)) {
    const r = found.get(week);
    bars.push({ week, inReview: r?.in_review ?? 0, changesRequested: r?.changes_requested ?? 0, approved: r?.approved ?? 0, rejected: r?.rejected ?? 0 });
  }
  return bars;
}

export interface ChannelMonth {
  /** YYYY-MM */
  month: string;
  counts: Record<string, number>;
}

/** Publications per channel per month (the chart "par canal"); channel names in their order. */
export async function channelMonths(db: DB, scope: Scope, range: { from: string; to: string }): Promise<{ channels: string[]; months: ChannelMonth[] }> {
  const { rows } = await sql<{ month: string; name: string; published: number }>`
    SELECT to_char(s.day, 'YYYY-MM') AS month, c.name, sum(s.published)::int AS published
    FROM statistics_channel_day s JOIN channel c ON c.id = s.channel_id
    WHERE s.day BETWEEN ${range.from}::date AND ${range.to}::date AND ${inDepartment(scope, "s.department_id")}
    GROUP BY 1, 2`.execute(db);
  const channels = [...new Set(rows.map((r) => r.name))].sort((a, b) => a.localeCompare(b, "fr"));
  const months: ChannelMonth[] = monthsOf(range).map((month) => ({ month, counts: Object.fromEntries(channels.map((c) => [c, 0])) }));
  const byMonth = new Map(months.map((m) => [m.month, m]));
  for (const r of rows) {
    const m = byMonth.get(r.month);
    if (m) m.counts[r.name] = r.published;
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
  const [{ rows }, total] = await Promise.all([
    sql<{ month: string; n: number }>`
      SELECT to_char(day, 'YYYY-MM') AS month, count(DISTINCT department_id)::int AS n
      FROM statistics_department_day
      WHERE day BETWEEN ${range.from}::date AND ${range.to}::date
        AND submitted_in_review + submitted_changes_requested + submitted_approved + submitted_rejected > 0
      GROUP BY 1`.execute(db),
    db.selectFrom("department").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow(),
  ]);
  const found = new Map(rows.map((r) => [r.month, r.n]));
  return monthsOf(range).map((month) => ({ month, contributed: found.get(month) ?? 0, departments: total.n }));
}

export interface Highlight {
  contributionId: number;
  title: string;
  /** Null when the author asked not to be named. */
  authorName: string | null;
  departmentName: string;
  placements: { channel: string; publishedAt: Date; url: string | null }[];
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
    item.placements.push({ channel: r.channel, publishedAt: r.published_at!, url: r.remote_url });
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

/** Everything the dashboard shows for `scope` over `period`. */
export async function dashboard(db: DB, scope: Scope, period: Period) {
  const previous = previousPeriod(period);
  const [current, before, contributors, departments, weeks, channels, shares, tops] = await Promise.all([
    totals(db, scope, period),
    totals(db, scope, previous),
    scope.departmentId === null ? Promise.resolve([]) : contributorRows(db, scope.departmentId, period),
    scope.departmentId === null ? departmentRows(db, period) : Promise.resolve([]),
    weeklySubmissions(db, scope, period),
    channelMonths(db, scope, period),
    scope.departmentId === null ? departmentShares(db, period) : Promise.resolve([]),
    highlights(db, scope, period),
  ]);
  return { period, previous, totals: current, previousTotals: before, change: change(current, before), contributors, departments, weeks, channels, shares, highlights: tops };
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
