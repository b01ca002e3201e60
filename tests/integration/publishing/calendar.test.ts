import ICAL from "ical.js";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { calendarForToken, createCalendarToken, pruneCalendarChanges, revokeCalendarToken } from "~/publishing/calendar-feed.server";
import { createPublication } from "~/publishing/queue.server";
import * as route from "~/routes/calendar[.]ics";
import { context, get, run, signedIn } from "../../factories";
import { channel, comms, publishable } from "./fixtures";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function fetchCalendar(query: string): Promise<Response> {
  return (await run(() => route.loader({ request: get(`/calendar.ics${query}`), params: {}, context }))) as Response;
}

describe("/calendar.ics", () => {
  it("gives a comms member's token the queue in UTC, readable by ical.js; the token is stored hashed", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed", name: "Site web" });
    const c = await publishable({ title: "Marché de Noël; vin chaud, marrons" });
    const p = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    const { token, url } = await createCalendarToken(db(), actor);
    expect(url).toBe(`https://intranet.example.org/calendar.ics?token=${token}`);
    const stored = await db().selectFrom("calendar_token").selectAll().where("user_id", "=", actor.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(token);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);

    const answer = await fetchCalendar(`?token=${token}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    const body = await answer.text();
    expect(Number(answer.headers.get("content-length"))).toBe(new TextEncoder().encode(body).byteLength);
    expect(body).toMatch(/DTSTART:\d{8}T\d{6}Z/);
    expect(body).not.toContain("TZID");
    // Every answer sends the same kept bytes, whole (none is consumed or moved by the one before).
    expect(await (await fetchCalendar(`?token=${token}`)).text()).toBe(body);
    const events = new ICAL.Component(ICAL.parse(body)).getAllSubcomponents("vevent").map((e) => new ICAL.Event(e));
    expect(events).toHaveLength(1);
    expect(events[0].summary).toBe("Site web : Marché de Noël; vin chaud, marrons");
    expect(events[0].startDate.toJSDate().getTime()).toBe(p.scheduledAt.getTime());
    expect(events[0].uid).toBe(`publication-${p.id}@intranet.example.org`);

    // A new token revokes the old; revoking closes the address.
    const second = await createCalendarToken(db(), actor);
    expect((await fetchCalendar(`?token=${token}`)).status).toBe(404);
    expect((await fetchCalendar(`?token=${second.token}`)).status).toBe(200);
    await revokeCalendarToken(db(), actor);
    expect((await fetchCalendar(`?token=${second.token}`)).status).toBe(404);
  });

  it("answers 404 without a valid token, and is for comms only", async () => {
    expect((await fetchCalendar("")).status).toBe(404);
    expect((await fetchCalendar("?token=nimportequoi")).status).toBe(404);
    expect((await fetchCalendar(`?token=${"A".repeat(43)}`)).status).toBe(404);
    expect((await fetchCalendar("?token=%00%ff")).status).toBe(404);
    const agent = await signedIn("agent");
    const denied = await createCalendarToken(db(), { id: agent.id, role: "agent", departmentId: agent.departmentId }).catch((e) => e);
    expect((denied as Response).status).toBe(403);

    // A member who left the communication team: the address stops answering.
    const { actor } = await comms();
    const { token } = await createCalendarToken(db(), actor);
    await db().updateTable("app_user").set({ role: "agent" }).where("id", "=", actor.id).execute();
    expect((await fetchCalendar(`?token=${token}`)).status).toBe(404);
  });
});

describe("/calendar.ics kept between changes", () => {
  it("answers polls with the document built last until anything it shows changes, whichever column", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed", name: "Lettre" });
    const c = await publishable({ title: "Fête de la musique" });
    const p = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    const { token } = await createCalendarToken(db(), actor);
    const poll = async (at: Date) => (await calendarForToken(db(), token, at))!.bytes;

    const first = await poll(new Date());
    // A later poll: same events, so the same document (its DTSTAMP says when it was built).
    const stamp = async (body: Uint8Array) => /DTSTAMP:(\S+)/.exec(text(body))![1];
    const again = await poll(new Date(Date.now() + 60_000));
    expect(again).toBe(first); // the very document kept, not a copy

    // Changes made behind the app's back (no updated_at touched) are seen all the same.
    const changes = [
      sql`UPDATE publication SET text = 'Texte corrigé pour le calendrier' WHERE id = ${p.id}`,
      sql`UPDATE contribution SET title = 'Fête de la musique (place du marché)' WHERE id = ${c.id}`,
      sql`UPDATE channel SET name = 'Lettre du mois' WHERE id = ${ch.id}`,
    ];
    let last = first;
    for (const [i, change] of changes.entries()) {
      await change.execute(db());
      const next = await poll(new Date(Date.now() + (i + 2) * 60_000));
      expect(next).not.toBe(last);
      expect(await stamp(next)).not.toBe(await stamp(last));
      last = next;
    }
    const events = new ICAL.Component(ICAL.parse(text(last))).getAllSubcomponents("vevent").map((e) => new ICAL.Event(e));
    const mine = events.find((e) => e.uid === `publication-${p.id}@intranet.example.org`)!;
    expect(mine.summary).toBe("Lettre du mois : Fête de la musique (place du marché)");
    expect(mine.description).toContain("Texte corrigé pour le calendrier");
  });

  /** Only the publications a test makes (the file's earlier tests leave theirs in the queue). */
  const cancelEarlier = () => sql`UPDATE publication SET state = 'cancelled'`.execute(db());
  const uids = async (body: Uint8Array) => [...text(body).matchAll(/^UID:publication-(\d+)@/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);

  it("follows time: an event leaves a week after its time, one 95 days ahead enters 90 days before its own", async () => {
    await cancelEarlier();
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed", name: "Lettre" });
    const soon = await createPublication(db(), actor, { contributionId: (await publishable()).id, channelId: ch.id });
    const later = await createPublication(db(), actor, { contributionId: (await publishable()).id, channelId: ch.id });
    const t0 = Date.now();
    await sql`UPDATE publication SET scheduled_at = ${new Date(t0 + 3_600_000)} WHERE id = ${soon.id}`.execute(db());
    await sql`UPDATE publication SET scheduled_at = ${new Date(t0 + 95 * 86_400_000)} WHERE id = ${later.id}`.execute(db());
    const { token } = await createCalendarToken(db(), actor);
    const poll = async (days: number) => (await calendarForToken(db(), token, new Date(t0 + days * 86_400_000)))!.bytes;

    const first = await poll(0);
    expect(await uids(first)).toEqual([soon.id]);
    expect(await poll(4)).toBe(first); // nothing moved in or out yet
    expect(await uids(await poll(5.1))).toEqual([soon.id, later.id]);
    expect(await uids(await poll(7.1))).toEqual([later.id]);
  });

  it("sees a write when it commits, not before; writers of publications never wait for each other", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed", name: "Lettre" });
    const one = await createPublication(db(), actor, { contributionId: (await publishable()).id, channelId: ch.id });
    const two = await createPublication(db(), actor, { contributionId: (await publishable()).id, channelId: ch.id });
    const { token } = await createCalendarToken(db(), actor);
    const poll = async () => text((await calendarForToken(db(), token))!.bytes);
    expect(await poll()).not.toContain("Texte A");

    let started!: () => void;
    let release!: () => void;
    const inA = new Promise<void>((r) => (started = r));
    const held = new Promise<void>((r) => (release = r));
    const a = db()
      .transaction()
      .execute(async (trx) => {
        await sql`UPDATE publication SET text = 'Texte A' WHERE id = ${one.id}`.execute(trx);
        started();
        await held;
      });
    await inA;
    // B writes another publication while A is open: with a lock timeout, it fails if it waits on A.
    await db()
      .transaction()
      .execute(async (trx) => {
        await sql`SET LOCAL lock_timeout = '2s'`.execute(trx);
        await sql`UPDATE publication SET text = 'Texte B' WHERE id = ${two.id}`.execute(trx);
      });
    const during = await poll();
    expect(during).toContain("Texte B");
    expect(during).not.toContain("Texte A");
    release();
    await a;
    expect(await poll()).toContain("Texte A");
  });

  it("prunes change marks older than an hour, and the next poll builds the same events again", async () => {
    await cancelEarlier();
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed", name: "Lettre" });
    const p = await createPublication(db(), actor, { contributionId: (await publishable()).id, channelId: ch.id });
    const { token } = await createCalendarToken(db(), actor);
    await sql`UPDATE calendar_change SET changed_at = now() - interval '2 hours'`.execute(db());
    const before = await db().selectFrom("calendar_change").select("xact").execute();
    expect(before.length).toBeGreaterThan(0);
    const first = (await calendarForToken(db(), token))!.bytes;

    await sql`UPDATE publication SET text = 'Encore' WHERE id = ${p.id}`.execute(db()); // a fresh mark, kept
    expect(await pruneCalendarChanges(db())).toBe(before.length);
    expect(await db().selectFrom("calendar_change").select("xact").execute()).toHaveLength(1);
    const next = (await calendarForToken(db(), token))!.bytes;
    expect(next).not.toBe(first);
    expect(await uids(next)).toEqual([p.id]);
    expect(text(next)).toContain("Encore");
  });
});
