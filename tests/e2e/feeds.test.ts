import { randomBytes } from "node:crypto";
import { parseFeed } from "feedsmith";
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { database } from "./database";

// The public addresses of publishing (/feeds/…, /calendar.ics) as the built server answers them
// over HTTP, without a session: routing, content types, 404s.
const base = () => inject("e2eBaseUrl");
const slug = `e2e-flux-${randomBytes(3).toString("hex")}`;
let channelId: number;
let publicationId: number;

describe.skipIf(inject("e2eSkip"))("public publishing addresses over HTTP", () => {
  beforeAll(async () => {
    const db = await database();
    const contribution = await db.selectFrom("contribution").select(["id", "title"]).where("status", "=", "approved").orderBy("id").executeTakeFirstOrThrow();
    channelId = (
      await db
        .insertInto("channel")
        .values({ kind: "feed", name: "Flux de test", slug, character_limit: 10000, image_aspect: "1.91:1", slots: JSON.stringify([{ weekday: 1, time: "18:30" }]) })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
    publicationId = (
      await db
        .insertInto("publication")
        .values({
          contribution_id: contribution.id,
          channel_id: channelId,
          text: "Un texte pour le flux",
          scheduled_at: new Date(Date.now() - 3600_000),
          state: "published",
          published_at: new Date(Date.now() - 3600_000),
        })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  });

  afterAll(async () => {
    const db = await database();
    await db.deleteFrom("publication").where("channel_id", "=", channelId).execute();
    await db.deleteFrom("channel").where("id", "=", channelId).execute();
    const comms = db.selectFrom("app_user").select("id").where("email", "=", "comms@demo.relais");
    await db.deleteFrom("calendar_token").where("user_id", "in", comms).execute();
  });

  it("serves a feed channel's RSS, Atom and JSON Feed to anyone, and 404 for the rest", async () => {
    const rss = await fetch(`${base()}/feeds/${slug}.rss`);
    expect(rss.status).toBe(200);
    expect(rss.headers.get("content-type")).toBe("application/rss+xml; charset=utf-8");
    const parsed = parseFeed(await rss.text()) as { format: string; feed: { items: { title?: string }[] } };
    expect(parsed.format).toBe("rss");
    expect(parsed.feed.items).toHaveLength(1);

    const atom = await fetch(`${base()}/feeds/${slug}.atom`);
    expect(atom.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    const json = await (await fetch(`${base()}/feeds/${slug}.json`)).json();
    expect(json.version).toBe("https://jsonfeed.org/version/1.1");
    expect(json.feed_url).toBe(`${base()}/feeds/${slug}.json`);

    for (const path of [`/feeds/${slug}.xml`, "/feeds/inconnu.rss", `/feeds/${slug}/${publicationId}-1.jpeg`, `/feeds/${slug}/../x.rss`]) {
      expect((await fetch(`${base()}${path}`)).status, path).toBe(404);
    }
  });

  it("serves /calendar.ics only with a comms member's token", async () => {
    expect((await fetch(`${base()}/calendar.ics`)).status).toBe(404);
    expect((await fetch(`${base()}/calendar.ics?token=x`)).status).toBe(404);
    const db = await database();
    const comms = await db.selectFrom("app_user").select(["id", "role", "department_id"]).where("email", "=", "comms@demo.relais").executeTakeFirstOrThrow();
    const { createCalendarToken } = await import("~/publishing/calendar-feed.server");
    const { url } = await createCalendarToken(db, { id: comms.id, role: comms.role, departmentId: comms.department_id });
    const answer = await fetch(url.replace(/^https?:\/\/[^/]+/, base()));
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    const body = await answer.text();
    expect(Number(answer.headers.get("content-length"))).toBe(Buffer.byteLength(body));
    // The next answer sends the same kept bytes, whole.
    expect(await (await fetch(url.replace(/^https?:\/\/[^/]+/, base()))).text()).toBe(body);
    const events = new ICAL.Component(ICAL.parse(body)).getAllSubcomponents("vevent");
    expect(events.map((e) => new ICAL.Event(e).uid)).toContain(`publication-${publicationId}@${new URL(base()).host}`);
  });
});
