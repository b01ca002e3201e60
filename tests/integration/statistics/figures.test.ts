import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { rebuildStatistics, refreshStatistics } from "~/statistics/rollups.server";
import {
  channelMonths,
  contributorRows,
  departmentRows,
  departmentShares,
  highlights,
  personalSummary,
  totals,
  weeklySubmissions,
  type Figures,
} from "~/statistics/statistics.server";
import { day, median, seedDataset, type Seeded } from "./dataset";

// Every figure of the dashboard, compared with the same counts made here from the seeded rows
// (days computed by the JavaScript runtime in Europe/Paris, not by PostgreSQL).

let data: Seeded;

async function snapshot() {
  const read = (table: string, order: string) => sql.raw(`SELECT * FROM ${table} ORDER BY ${order}`).execute(db()).then((r) => r.rows);
  return {
    contributors: await read("statistics_contributor_day", "department_id, day, user_id"),
    departments: await read("statistics_department_day", "day, department_id"),
    channels: await read("statistics_channel_day", "department_id, day, user_id, channel_id"),
    decisions: await read("statistics_decision", "event_id"),
    decisionMonths: await read("statistics_decision_month", "month, department_id, bucket"),
    departmentMonths: await read("statistics_department_month", "month, department_id"),
  };
}

beforeAll(async () => {
  data = await seedDataset();
});

type Range = { from: string; to: string };
const inRange = (instant: Date | null, r: Range) => instant !== null && day(instant) >= r.from && day(instant) <= r.to;

/** The figures counted from the seeded rows, for the contributions (and comments) `who` selects. */
/**
 * The organisation-wide view's medians are exact to the bucket the page shows (migration 22): the
 * minute under a day, the hour from a day on. They are compared with the median of the durations
 * so rounded, computed here: a bucket off, or a month or day counted twice or missed, fails.
 */
const bucket = (seconds: number) => (seconds < 86_400 ? seconds - (seconds % 60) : seconds - (seconds % 3600));

function expected(r: Range, who: { departmentId?: number; userId?: string }, options: { bucketed?: boolean } = {}): Figures {
  const mine = (c: { authorId: string; departmentId: number }) =>
    (who.departmentId === undefined || c.departmentId === who.departmentId) && (who.userId === undefined || c.authorId === who.userId);
  const contributions = data.contributions.filter(mine);
  const ids = new Set(contributions.map((c) => c.id));
  const decided = contributions.filter((c) => c.decision && inRange(c.decision.at, r));
  const agentDepartment = new Map([...data.agents, data.comms].map((a) => [a.id, a.departmentId]));
  return {
    submitted: contributions.filter((c) => inRange(c.submittedAt, r)).length,
    approved: contributions.filter((c) => inRange(c.approvedAt, r)).length,
    published: data.publications.filter((p) => ids.has(p.contributionId) && p.state === "published" && inRange(p.publishedAt, r)).length,
    thanksReceived: data.thanks.filter((t) => ids.has(t.contributionId) && inRange(t.at, r)).length,
    commentsWritten: data.comments.filter(
      (m) => agentDepartment.has(m.authorId) && mine({ authorId: m.authorId, departmentId: agentDepartment.get(m.authorId)! }) && inRange(m.at, r),
    ).length,
    decisions: decided.length,
    medianDecisionSeconds: median(
      decided.map((c) => Math.floor((c.decision!.at.getTime() - c.submittedAt.getTime()) / 1000)).map((s) => (options.bucketed ? bucket(s) : s)),
    ),
  };
}

const PERIODS: Range[] = [
  { from: "2025-12-01", to: "2025-12-31" },
  { from: "2026-01-01", to: "2026-01-31" },
  { from: "2025-12-31", to: "2026-01-01" },
  { from: "2026-03-01", to: "2026-03-31" },
  { from: "2026-04-01", to: "2026-04-30" },
  { from: "2026-03-29", to: "2026-03-29" },
  { from: "2026-10-25", to: "2026-10-25" },
  { from: "2026-10-01", to: "2026-10-31" },
  { from: "2025-12-01", to: "2026-11-30" },
  // Whole months and days on either side (the organisation's view reads months, then days).
  { from: "2025-12-15", to: "2026-04-10" },
  { from: "2026-01-31", to: "2026-04-01" },
];

describe("statistics roll-ups", () => {
  it("kept up to date by the minute job: the same rows as a rebuild from the base tables", async () => {
    // The seeding's triggers marked the hours; the job recomputes those days.
    expect(await refreshStatistics(db())).toBeGreaterThan(0);
    const incremental = await snapshot();
    expect(incremental.contributors.length).toBeGreaterThan(20);
    await rebuildStatistics(db());
    expect(await snapshot()).toEqual(incremental);
    // Nothing changed since: nothing to do.
    expect(await refreshStatistics(db())).toBe(0);
  });

  it("counts every figure of each department, each contributor and the organisation as the base tables do", async () => {
    for (const r of PERIODS) {
      const org = await totals(db(), { departmentId: null }, r);
      expect(org, `organisation ${r.from}..${r.to}`).toEqual(expected(r, {}, { bucketed: true }));
      const departments = await departmentRows(db(), r);
      for (const [, id] of Object.entries(data.departments)) {
        const want = expected(r, { departmentId: id });
        expect(await totals(db(), { departmentId: id }, r), `department ${id} ${r.from}..${r.to}`).toEqual(want);
        const row = departments.find((d) => d.departmentId === id)!;
        const { departmentId: _, name: __, ...figures } = row;
        expect(figures).toEqual(expected(r, { departmentId: id }, { bucketed: true }));
        const people = await contributorRows(db(), id, r);
        for (const agent of data.agents.filter((a) => a.departmentId === id)) {
          const wantAgent = expected(r, { departmentId: id, userId: agent.id });
          const found = people.find((p) => p.userId === agent.id);
          const active = Object.entries(wantAgent).some(([k, v]) => k !== "medianDecisionSeconds" && v !== 0);
          expect(Boolean(found), `${agent.name} listed ${r.from}..${r.to}`).toBe(active);
          if (!found) continue;
          const { userId: _u, name, departmentId: _d, departmentName: _n, channels, ...got } = found;
          expect(got, `${agent.name} ${r.from}..${r.to}`).toEqual(wantAgent);
          expect(name).toBe(agent.name);
          const perChannel = data.channels
            .map((ch) => ({
              channelId: ch.id,
              name: ch.name,
              published: data.publications.filter(
                (p) => p.channelId === ch.id && p.state === "published" && inRange(p.publishedAt, r) && data.contributions.find((c) => c.id === p.contributionId)!.authorId === agent.id,
              ).length,
            }))
            .filter((c) => c.published > 0);
          expect(channels).toEqual(perChannel);
        }
        // By name, never by a figure.
        expect(people.map((p) => p.name)).toEqual([...people.map((p) => p.name)].sort((x, y) => x.localeCompare(y, "fr", { sensitivity: "base" })));
      }
    }
  });

  it("counts a contribution approved at 23:30 Paris time on the last day of a month in that month", async () => {
    const [late, early] = data.contributions.filter((c) => c.status === "submitted");
    const lastOfMarch = new Date("2026-03-31T21:30:00Z"); // 23:30 in Paris (summer time)
    const firstOfApril = new Date("2026-03-31T22:30:00Z"); // 00:30 in Paris, still 31 March in UTC
    const march = { from: "2026-03-01", to: "2026-03-31" };
    const april = { from: "2026-04-01", to: "2026-04-30" };
    const before = { march: await totals(db(), { departmentId: null }, march), april: await totals(db(), { departmentId: null }, april) };
    for (const [c, at] of [[late, lastOfMarch], [early, firstOfApril]] as const) {
      await db().updateTable("contribution").set({ status: "approved", visibility: "department", approved_at: at }).where("id", "=", c.id).execute();
      c.status = "approved";
      c.approvedAt = at;
    }
    await refreshStatistics(db());
    expect((await totals(db(), { departmentId: null }, march)).approved).toBe(before.march.approved + 1);
    expect((await totals(db(), { departmentId: null }, april)).approved).toBe(before.april.approved + 1);
  });

  it("draws its charts from the same counts: weeks by status, channels by month, departments that contributed", async () => {
    const r = { from: "2025-12-01", to: "2026-11-30" };
    const weeks = await weeklySubmissions(db(), { departmentId: null }, r);
    expect(weeks[0].week).toBe("2025-12-01");
    const monday = (d: string) => {
      const date = new Date(`${d}T00:00:00Z`);
      date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
      return date.toISOString().slice(0, 10);
    };
    for (const w of weeks) {
      const here = data.contributions.filter((c) => monday(day(c.submittedAt)) === w.week);
      expect(w, w.week).toEqual({
        week: w.week,
        inReview: here.filter((c) => c.status === "submitted").length,
        changesRequested: here.filter((c) => c.status === "changes_requested").length,
        approved: here.filter((c) => c.status === "approved").length,
        rejected: here.filter((c) => c.status === "rejected").length,
      });
    }
    expect(weeks.reduce((n, w) => n + w.inReview + w.changesRequested + w.approved + w.rejected, 0)).toBe(data.contributions.length);

    const { channels, months } = await channelMonths(db(), { departmentId: null }, r);
    expect(channels).toEqual(data.channels.map((c) => c.name).sort((x, y) => x.localeCompare(y, "fr")));
    expect(months.map((m) => m.month)).toEqual(["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]);
    for (const m of months) {
      for (const ch of data.channels) {
        const n = data.publications.filter((p) => p.channelId === ch.id && p.state === "published" && day(p.publishedAt!).startsWith(m.month)).length;
        expect(m.counts[ch.name], `${ch.name} ${m.month}`).toBe(n);
      }
    }

    const shares = await departmentShares(db(), r);
    const departmentCount = Number((await db().selectFrom("department").select(sql<number>`count(*)`.as("n")).executeTakeFirstOrThrow()).n);
    for (const s of shares) {
      const contributed = new Set(data.contributions.filter((c) => day(c.submittedAt).startsWith(s.month)).map((c) => c.departmentId));
      expect(s).toEqual({ month: s.month, contributed: contributed.size, departments: departmentCount });
    }
    expect(shares.find((s) => s.month === "2026-03")!.contributed).toBeGreaterThan(0);
  });

  it("names in 'temps forts' the contributions published in the period, where they ran, and not those who opted out", async () => {
    const r = { from: "2025-12-01", to: "2026-11-30" };
    const items = await highlights(db(), { departmentId: null }, r);
    const published = data.publications.filter((p) => p.state === "published");
    expect(items.length).toBe(Math.min(12, new Set(published.map((p) => p.contributionId)).size));
    for (const item of items) {
      const c = data.contributions.find((x) => x.id === item.contributionId)!;
      const author = data.agents.find((a) => a.id === c.authorId)!;
      expect(item.authorName).toBe(author.optOut ? null : author.name);
      const ran = published.filter((p) => p.contributionId === c.id).map((p) => data.channels.find((ch) => ch.id === p.channelId)!.name);
      expect(item.placements.map((p) => p.channel).sort()).toEqual(ran.sort());
    }
    expect(items.some((i) => i.authorName === null)).toBe(true);
    // Newest first.
    const latest = items.map((i) => Math.max(...i.placements.map((p) => Date.parse(p.publishedAt))));
    expect(latest).toEqual([...latest].sort((x, y) => y - x));
  });

  it("gives an agent their own figures and their department's totals, nobody else's", async () => {
    const agent = data.agents[0];
    const r = { from: "2025-12-01", to: "2026-11-30" };
    const summary = await personalSummary(db(), { id: agent.id, role: "agent", departmentId: agent.departmentId }, r);
    expect(summary.mine).toEqual(expected(r, { userId: agent.id }));
    expect(summary.department!.totals).toEqual(expected(r, { departmentId: agent.departmentId }));
    expect(Object.keys(summary)).toEqual(["mine", "channels", "department"]);
  });

  it("are rebuilt from the base tables by `npm run relais -- statistics:rebuild`", async () => {
    await rebuildStatistics(db());
    const before = await snapshot();
    await db().deleteFrom("statistics_contributor_day").execute();
    await db().deleteFrom("statistics_decision").execute();
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/relais.ts", "statistics:rebuild"], { env: process.env });
    expect(stdout).toMatch(/Statistiques recalculées en [\d.]+ s\./);
    expect(await snapshot()).toEqual(before);
  }, 60_000);
});
