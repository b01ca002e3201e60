import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { editorialCalendar, type CalendarEntry } from "./calendar.server";

const tricky = "Fête du quartier, place Carnot; 18h30\nApporter : tables, chaises; \\ bonne humeur 🎉";

const entries: CalendarEntry[] = [
  {
    uid: "publication-42@intranet.example.org",
    start: new Date("2026-10-25T17:30:00Z"), // 18:30 in Paris, the day winter time starts
    durationMinutes: 15,
    summary: tricky,
    description: "Mastodon — Ville de Exemple\nTexte : « 30 arbres plantés, merci aux équipes ! »",
    url: "https://intranet.example.org/publications/42?vue=calendrier&x=1",
  },
  {
    uid: "publication-43@intranet.example.org",
    start: new Date("2026-03-29T07:00:00Z"), // 09:00 in Paris, the day summer time starts
    durationMinutes: 30,
    summary: "Bluesky : fermeture de la médiathèque",
    description: "",
    url: "https://intranet.example.org/publications/43",
  },
];

function parse(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  return { calendar, events: calendar.getAllSubcomponents("vevent").map((vevent) => ({ vevent, event: new ICAL.Event(vevent) })) };
}

describe("editorial calendar (ICS)", () => {
  it("parses with ical.js: each event's UTC start and end, summary, description and URL", () => {
    const text = editorialCalendar(entries, { now: new Date("2026-10-01T12:00:00Z") });
    const { calendar, events } = parse(text);
    expect(calendar.getFirstPropertyValue("version")).toBe("2.0");
    expect(calendar.getFirstPropertyValue("prodid")).toMatch(/Relais/);
    expect(events).toHaveLength(2);

    const [first, second] = events;
    expect(first.event.uid).toBe("publication-42@intranet.example.org");
    expect(first.event.startDate.zone.tzid).toBe("UTC");
    expect(first.event.startDate.toJSDate().toISOString()).toBe("2026-10-25T17:30:00.000Z");
    expect(first.event.endDate.toJSDate().toISOString()).toBe("2026-10-25T17:45:00.000Z");
    expect(first.event.summary).toBe(tricky);
    expect(first.event.description).toBe(entries[0].description);
    expect(first.vevent.getFirstPropertyValue("url")).toBe(entries[0].url);
    expect(String(first.vevent.getFirstPropertyValue("dtstamp"))).toBe("2026-10-01T12:00:00Z");

    expect(second.event.startDate.toJSDate().toISOString()).toBe("2026-03-29T07:00:00.000Z");
    expect(second.event.endDate.toJSDate().toISOString()).toBe("2026-03-29T07:30:00.000Z");
    expect(second.event.summary).toBe("Bluesky : fermeture de la médiathèque");
    expect(second.vevent.getFirstPropertyValue("url")).toBe(entries[1].url);
  });

  it("writes UTC times with Z and no time zone, CRLF line ends, and escapes the summary's commas, semicolons and newlines", () => {
    const text = editorialCalendar(entries, { now: new Date("2026-10-01T12:00:00Z") });
    expect(text).toContain("DTSTART:20261025T173000Z");
    expect(text).toContain("DTEND:20261025T174500Z");
    expect(text).toContain("DTSTART:20260329T070000Z");
    expect(text).not.toMatch(/TZID|VTIMEZONE/);
    expect(text.split("\r\n").length).toBeGreaterThan(10);
    expect(text.replace(/\r\n/g, "")).not.toContain("\n");
    // RFC 5545 §3.3.11: the raw characters never reach the file, so they cannot start a property.
    const unfolded = text.replace(/\r\n[ \t]/g, "");
    expect(unfolded).toContain("SUMMARY:Fête du quartier\\, place Carnot\\; 18h30\\nApporter : tables\\, chaises\\; \\\\ bonne humeur 🎉");
  });

  it("an empty calendar is still a calendar", () => {
    const { calendar, events } = parse(editorialCalendar([]));
    expect(calendar.name).toBe("vcalendar");
    expect(events).toEqual([]);
  });

  it("refuses entries that would make a broken or misleading file", () => {
    const [entry] = entries;
    expect(() => editorialCalendar([{ ...entry, url: "/publications/42" }])).toThrow(RangeError);
    expect(() => editorialCalendar([{ ...entry, start: new Date(Number.NaN) }])).toThrow(RangeError);
    expect(() => editorialCalendar([{ ...entry, durationMinutes: 0 }])).toThrow(RangeError);
    expect(() => editorialCalendar([{ ...entry, uid: "a b" }])).toThrow(RangeError);
    expect(() => editorialCalendar([{ ...entry, uid: "" }])).toThrow(RangeError);
  });
});
