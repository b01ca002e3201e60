import ICAL from "ical.js";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { calendarForToken, createCalendarToken, revokeCalendarToken } from "~/publishing/calendar-feed.server";
import { createPublication } from "~/publishing/queue.server";
import * as route from "~/routes/calendar[.]ics";
import { context, get, run, signedIn } from "../../factories";
import { channel, comms, publishable } from "./fixtures";

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
    const text = await answer.text();
    expect(text).toMatch(/DTSTART:\d{8}T\d{6}Z/);
    expect(text).not.toContain("TZID");
    const events = new ICAL.Component(ICAL.parse(text)).getAllSubcomponents("vevent").map((e) => new ICAL.Event(e));
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
    const poll = async (at: Date) => (await calendarForToken(db(), token, at))!.body;

    const first = await poll(new Date());
    // A later poll: same events, so the same document (its DTSTAMP says when it was built).
    const stamp = async (body: Blob) => /DTSTAMP:(\S+)/.exec(await body.text())![1];
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
    const events = new ICAL.Component(ICAL.parse(await last.text())).getAllSubcomponents("vevent").map((e) => new ICAL.Event(e));
    const mine = events.find((e) => e.uid === `publication-${p.id}@intranet.example.org`)!;
    expect(mine.summary).toBe("Lettre du mois : Fête de la musique (place du marché)");
    expect(mine.description).toContain("Texte corrigé pour le calendrier");
  });
});
