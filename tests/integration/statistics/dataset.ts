import { sql } from "kysely";
import { db } from "~/db.server";
import { makeDepartment, makeUser } from "../../factories";

/*
 * A seeded data set for the statistics tests, written straight into the base tables with chosen
 * instants: around a year end (Paris, 31 December 2025 / 1 January 2026), the spring daylight-
 * saving change (29 March 2026, 02:00 -> 03:00) and the autumn one (25 October 2026, 03:00 ->
 * 02:00), many of them within an hour of midnight in Paris. The tests count the same things
 * again from the returned list, in plain TypeScript, and compare.
 */

/** A deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Outcome = "approved" | "changes_requested" | "rejected";

export interface SeededContribution {
  id: number;
  authorId: string;
  departmentId: number;
  status: "submitted" | "changes_requested" | "approved" | "rejected";
  submittedAt: Date;
  decision: { outcome: Outcome; at: Date } | null;
  approvedAt: Date | null;
}

export interface Seeded {
  departments: { a: number; b: number; c: number };
  agents: { id: string; departmentId: number; optOut: boolean; name: string }[];
  comms: { id: string; departmentId: number };
  channels: { id: number; name: string }[];
  contributions: SeededContribution[];
  publications: { contributionId: number; channelId: number; publishedAt: Date | null; state: string }[];
  thanks: { contributionId: number; userId: string; at: Date }[];
  comments: { authorId: string; at: Date }[];
}

// Anchors (UTC) around which instants are drawn: near midnight in Paris on purpose.
const ANCHORS = [
  "2025-12-31T22:30:00Z", // 23:30 in Paris on 31 December
  "2025-12-31T23:10:00Z", // 00:10 on 1 January
  "2026-03-28T22:45:00Z", // 23:45 on 28 March (UTC+1)
  "2026-03-29T00:30:00Z", // 01:30 on 29 March, before the change
  "2026-03-29T22:15:00Z", // 00:15 on 30 March (UTC+2)
  "2026-03-31T21:30:00Z", // 23:30 on 31 March (UTC+2)
  "2026-10-24T21:50:00Z", // 23:50 on 24 October (UTC+2)
  "2026-10-25T00:30:00Z", // 02:30 on 25 October, the first of the two
  "2026-10-25T01:30:00Z", // 02:30 on 25 October, the second (UTC+1)
  "2026-10-25T23:20:00Z", // 00:20 on 26 October (UTC+1)
];

export async function seedDataset(seed = 11): Promise<Seeded> {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const a = await makeDepartment("Culture (stats)");
  const b = await makeDepartment("Sports (stats)");
  const c = await makeDepartment("Finances (stats)");
  const agents: Seeded["agents"] = [];
  for (const [departmentId, optOut] of [[a, false], [a, true], [a, false], [b, false], [b, true]] as const) {
    const user = await makeUser("agent", departmentId);
    if (optOut) await db().updateTable("app_user").set({ credit_opt_out: true }).where("id", "=", user.id).execute();
    const { display_name } = await db().selectFrom("app_user").select("display_name").where("id", "=", user.id).executeTakeFirstOrThrow();
    agents.push({ id: user.id, departmentId, optOut, name: display_name });
  }
  // Comms write comments too, counted in their own department.
  const comms = await makeUser("comms", c);
  const channels: Seeded["channels"] = [];
  for (const [kind, name] of [["mastodon", "Mastodon de la ville"], ["feed", "Site internet"]] as const) {
    const row = await db()
      .insertInto("channel")
      .values({ kind, name, slug: `${kind}-stats`, character_limit: 500, image_aspect: "1:1", slots: "[]", updated_at: new Date() })
      .returning("id")
      .executeTakeFirstOrThrow();
    channels.push({ id: row.id, name });
  }

  const hours = (n: number) => n * 3_600_000;
  const contributions: SeededContribution[] = [];
  const publications: Seeded["publications"] = [];
  const thanks: Seeded["thanks"] = [];
  const comments: Seeded["comments"] = [];
  let slot = Date.parse("2027-01-01T00:00:00Z");

  for (let i = 0; i < 80; i++) {
    const author = pick(agents);
    const submittedAt = new Date(Date.parse(pick(ANCHORS)) + Math.floor(rnd() * 8 - 4) * 20 * 60_000 + i * 1000);
    const status = pick(["submitted", "changes_requested", "approved", "approved", "rejected"] as const);
    const decision = status === "submitted" ? null : { outcome: status, at: new Date(submittedAt.getTime() + hours(rnd() * 60) + i * 1000) };
    const approvedAt = status === "approved" ? decision!.at : null;
    const row = await db()
      .insertInto("contribution")
      .values({
        author_id: author.id,
        department_id: author.departmentId,
        title: `Contribution ${i}`,
        body_json: "{}",
        body_html: "",
        body_text: "",
        status,
        visibility: status === "approved" ? "organisation" : null,
        submitted_at: submittedAt,
        approved_at: approvedAt,
        created_at: new Date(submittedAt.getTime() - hours(1)),
        updated_at: submittedAt,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db().insertInto("contribution_event").values({ contribution_id: row.id, actor_id: author.id, kind: "submitted", created_at: submittedAt }).execute();
    if (decision) {
      await db().insertInto("contribution_event").values({ contribution_id: row.id, actor_id: comms.id, kind: decision.outcome, created_at: decision.at }).execute();
    }
    contributions.push({ id: row.id, authorId: author.id, departmentId: author.departmentId, status, submittedAt, decision, approvedAt });

    if (approvedAt) {
      for (const channel of channels) {
        if (rnd() < 0.5) continue;
        const state = rnd() < 0.8 ? "published" : "scheduled";
        const publishedAt = state === "published" ? new Date(approvedAt.getTime() + hours(rnd() * 30)) : null;
        slot += 3_600_000;
        await db()
          .insertInto("publication")
          .values({ contribution_id: row.id, channel_id: channel.id, text: "…", scheduled_at: new Date(slot), state, published_at: publishedAt, updated_at: new Date() })
          .execute();
        publications.push({ contributionId: row.id, channelId: channel.id, publishedAt, state });
      }
      for (const other of agents) {
        if (other.id === author.id || rnd() < 0.6) continue;
        const at = new Date(approvedAt.getTime() + hours(rnd() * 20));
        await db().insertInto("thanks").values({ contribution_id: row.id, user_id: other.id, created_at: at }).execute();
        thanks.push({ contributionId: row.id, userId: other.id, at });
      }
    }
    for (const writer of [...agents, { id: comms.id }]) {
      if (rnd() < 0.75) continue;
      const at = new Date(submittedAt.getTime() + hours(rnd() * 10));
      await db().insertInto("comment").values({ contribution_id: row.id, author_id: writer.id, body: "Bravo", created_at: at }).execute();
      comments.push({ authorId: writer.id, at });
    }
  }
  await sql`ANALYZE`.execute(db());
  return { departments: { a, b, c }, agents, comms: { id: comms.id, departmentId: c }, channels, contributions, publications, thanks, comments };
}

const parisDay = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" });
/** The day in Paris of an instant, computed by the JavaScript runtime rather than by PostgreSQL. */
export function day(instant: Date): string {
  return parisDay.format(instant);
}

/** percentile_cont(0.5): the middle value, or the mean of the two middle ones. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return Math.round(sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2);
}
