import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import * as queuePage from "~/routes/publishing._index";
import { cancelPublication } from "~/publishing/queue.server";
import { unpack } from "~/utils/packed";
import { context, get, outcome, signedIn } from "../../factories";
import { channel, comms, publishable } from "./fixtures";

// The queue list is paged (50 a page, by time then id, links that work without JavaScript) and a
// calendar cell shows a few publications, then "+ N autres" per channel, linking to that day's list.

/** `count` live publications of fresh contributions on the channel, from `start`, one a minute. */
async function seed(channelId: number, createdBy: string, start: Date, count: number): Promise<number[]> {
  const c = await publishable();
  const copies = await sql<{ id: number }>`
    INSERT INTO contribution (author_id, department_id, title, body_json, body_html, body_text, status, visibility, external_eligible, submitted_at, approved_at)
    SELECT author_id, department_id, title || ' ' || g, body_json, body_html, body_text, status, visibility, external_eligible, submitted_at, approved_at
    FROM contribution, generate_series(1, ${count}::int) g WHERE id = ${c.id}
    RETURNING id`.execute(db());
  const { rows } = await sql<{ id: number }>`
    INSERT INTO publication (contribution_id, channel_id, text, scheduled_at, state, created_by)
    SELECT x.id, ${channelId}::bigint, 'Texte', ${start}::timestamptz + (x.n - 1) * interval '1 minute', 'scheduled', ${createdBy}
    FROM unnest(${copies.rows.map((r) => r.id)}::bigint[]) WITH ORDINALITY AS x(id, n)
    ORDER BY x.n
    RETURNING id`.execute(db());
  return rows.map((r) => Number(r.id));
}

async function page(cookie: string, query: string) {
  const result = outcome(await queuePage.loader({ request: get(`/publishing?${query}`, cookie), params: {}, context }));
  expect(result.status).toBe(200);
  const body = result.body as Awaited<ReturnType<typeof queuePage.loader>>;
  return { ...body, items: unpack(body.items), overflow: unpack(body.overflow) };
}

describe("the queue list", () => {
  it("shows 50 a page, goes to later ones and back to the very same page, and ignores a bad cursor", async () => {
    const who = await comms();
    const ch = await channel(who.actor, { kind: "feed" });
    // 2029-03-05 08:00 in Paris: a day nothing else in this database is planned on.
    const ids = await seed(ch.id, who.id, new Date("2029-03-05T07:00:00Z"), 60);

    const first = await page(who.cookie, "view=list&at=2029-03-05");
    expect(first.items.map((i) => i.id)).toEqual(ids.slice(0, 50));
    expect(first.list!.later).toMatch(/^\/publishing\?view=list&at=2029-03-05&after=[\d.]+$/);
    expect(first.list!.earlier).toBeNull();

    // The pager's links, followed as they are.
    const query = (href: string | null) => href!.slice("/publishing?".length);
    const second = await page(who.cookie, query(first.list!.later));
    expect(second.items.map((i) => i.id)).toEqual(ids.slice(50));
    expect(second.list!.later).toBeNull();
    expect(second.list!.earlier).toMatch(/&before=/);

    const back = await page(who.cookie, query(second.list!.earlier));
    expect(back.items.map((i) => i.id)).toEqual(ids.slice(0, 50));
    expect(back.list!.later).toBe(first.list!.later);

    // A day and channel's list keeps its filter in its pager's links.
    const filtered = await page(who.cookie, `view=list&at=2029-03-05&day=2029-03-05&channel=${ch.id}`);
    expect(filtered.items.map((i) => i.id)).toEqual(ids.slice(0, 50));
    expect(filtered.list!.later).toMatch(new RegExp(`^/publishing\\?view=list&at=2029-03-05&day=2029-03-05&channel=${ch.id}&after=`));
    expect((await page(who.cookie, query(filtered.list!.later))).items.map((i) => i.id)).toEqual(ids.slice(50));

    for (const bad of ["after=abc", "before=1.2.3", "after=99999999999999999999.1", "day=2029-02-30&channel=-4"]) {
      const answer = await page(who.cookie, `view=list&at=2029-03-05&${bad}`);
      expect(answer.items.length).toBeLessThanOrEqual(50);
    }
  });
});

describe("the calendar", () => {
  it("caps a day's cell and says how many more there are per channel, linking to that day's list", async () => {
    const who = await comms();
    const ch = await channel(who.actor, { kind: "feed" });
    const other = await channel(who.actor, { kind: "feed" });
    const ids = await seed(ch.id, who.id, new Date("2029-04-10T16:00:00Z"), 12);
    const others = await seed(other.id, who.id, new Date("2029-04-10T17:00:00Z"), 2);

    const week = await page(who.cookie, "view=week&at=2029-04-10");
    const day = week.items.filter((i) => i.day === "2029-04-10");
    // The first eight by time: all of the first channel's, which come first.
    expect(day.map((i) => i.id)).toEqual(ids.slice(0, 8));
    expect([...week.overflow].sort((a, b) => a.channel.id - b.channel.id)).toEqual([
      { day: "2029-04-10", channel: { id: ch.id, name: expect.stringMatching(/^Canal /) }, count: 4 },
      { day: "2029-04-10", channel: { id: other.id, name: expect.stringMatching(/^Canal /) }, count: 2 },
    ]);

    // "+ 4 autres" opens the list of that day and channel: all twelve, and only them.
    const list = await page(who.cookie, `view=list&day=2029-04-10&channel=${ch.id}`);
    expect(list.items.map((i) => i.id)).toEqual(ids);
    expect(list.list!.filter).toMatchObject({ day: "2029-04-10", channel: ch.id, channelName: expect.stringMatching(/^Canal /) });
    const theirs = await page(who.cookie, `view=list&day=2029-04-10&channel=${other.id}`);
    expect(theirs.items.map((i) => i.id)).toEqual(others);

    const month = await page(who.cookie, "view=month&at=2029-04-01");
    expect(month.items.filter((i) => i.day === "2029-04-10")).toHaveLength(3);
    expect(month.overflow.filter((o) => o.day === "2029-04-10").map((o) => o.count).sort()).toEqual([2, 9]);
  });

  it("fills each cell with its own day in Paris, around midnight and the spring clock change", async () => {
    const who = await comms();
    const ch = await channel(who.actor, { kind: "feed" });
    // 23:58 on Saturday 24 March 2029 in Paris (UTC+1) for four minutes: two that day, two the next.
    const [a, b, c, d] = await seed(ch.id, who.id, new Date("2029-03-24T22:58:00Z"), 4);
    // Sunday 25 March: the clocks go from 02:00 to 03:00. 23:59 that night is 21:59 UTC, two on each side.
    const [e, f, g, h] = await seed(ch.id, who.id, new Date("2029-03-25T21:59:00Z"), 4);
    const week = await page(who.cookie, "view=week&at=2029-03-24");
    const cell = (day: string) => week.items.filter((i) => i.day === day && i.channel.id === ch.id).map((i) => i.id);
    expect(cell("2029-03-24")).toEqual([a, b]);
    expect(cell("2029-03-25")).toEqual([c, d, e]);
    expect(week.items.some((i) => i.id === f)).toBe(false);
    // The month's cells hold three each; the rest are counted for their own day.
    const month = await page(who.cookie, "view=month&at=2029-03-01");
    expect(month.items.filter((i) => i.day === "2029-03-25" && i.channel.id === ch.id).map((i) => i.id)).toEqual([c, d, e]);
    expect(month.overflow.filter((o) => o.channel.id === ch.id)).toEqual([]);
    // The next week starts on Monday 26 March at midnight in Paris: the last three, on that day.
    const next = await page(who.cookie, "view=week&at=2029-03-27");
    expect(next.items.filter((i) => i.channel.id === ch.id).map((i) => [i.id, i.day])).toEqual([f, g, h].map((id) => [id, "2029-03-26"]));
  });
});

describe("the queue, kept between requests (app/utils/kept.server.ts)", () => {
  it("gives every comms member the same rows until a write commits, then the write at once", async () => {
    const who = await comms();
    const other = await comms();
    const agent = await signedIn("agent");
    const ch = await channel(who.actor, { kind: "feed" });
    // 2029-04-02: a day nothing else in this database is planned on.
    const ids = await seed(ch.id, who.id, new Date("2029-04-02T07:00:00Z"), 3);
    const query = "view=list&at=2029-04-02";

    const first = await page(who.cookie, query);
    const again = await page(other.cookie, query);
    expect(again.items).toBe(first.items); // kept: the very same rows
    // Later days hold other tests' publications: these come first.
    const ours = (items: { id: number }[]) => items.map((i) => i.id).filter((id) => ids.includes(id));
    expect(first.items.slice(0, 3).map((i) => i.id)).toEqual(ids);
    const week = await page(other.cookie, "view=week&at=2029-04-02");
    expect(ours(week.items)).toEqual(ids);

    await cancelPublication(db(), who.actor, ids[1]);
    expect(ours((await page(other.cookie, query)).items)).toEqual([ids[0], ids[2]]);
    expect(ours((await page(who.cookie, "view=week&at=2029-04-02")).items)).toEqual([ids[0], ids[2]]);
    // An agent is still refused, though the page is kept.
    const refused = await queuePage.loader({ request: get(`/publishing?${query}`, agent.cookie), params: {}, context }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).status).toBe(403);
  });
});
