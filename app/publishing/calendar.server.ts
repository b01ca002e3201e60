// A user's editorial calendar as an iCalendar file (`/calendar.ics?token=…`), from plain entries:
// the route decides which publications the token's owner may see.

import ical from "ical-generator";

export interface CalendarEntry {
  /** Globally unique and stable, so calendar applications update an event instead of adding one: e.g. `publication-42@intranet.example.org`. */
  uid: string;
  start: Date;
  durationMinutes: number;
  summary: string;
  description: string;
  /** Absolute URL of the publication in Relais. */
  url: string;
}

export interface CalendarOptions {
  name?: string;
  /** DTSTAMP: when this file was made. */
  now?: Date;
}

/** How often calendar applications should fetch the file again (seconds). */
export const CALENDAR_REFRESH_SECONDS = 3600;

export const CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8";

/**
 * Every time in UTC (`…Z`), with no TZID: a time zone name would need its VTIMEZONE definition,
 * and ical-generator writes zoned times from the server's own clock (notes/apis-and-libraries §3).
 * Calendar applications show UTC times in their user's zone.
 */
export function editorialCalendar(entries: readonly CalendarEntry[], options: CalendarOptions = {}): string {
  const now = options.now ?? new Date();
  const calendar = ical({
    name: options.name ?? "Relais — calendrier éditorial",
    prodId: { company: "Relais", product: "calendrier-editorial", language: "FR" },
    timezone: null,
    ttl: CALENDAR_REFRESH_SECONDS,
  });
  for (const entry of entries) {
    checkEntry(entry);
    calendar.createEvent({
      id: entry.uid,
      start: entry.start,
      end: new Date(entry.start.getTime() + entry.durationMinutes * 60_000),
      stamp: now,
      timezone: null,
      summary: entry.summary,
      description: entry.description,
      url: entry.url,
    });
  }
  return calendar.toString();
}

function checkEntry(entry: CalendarEntry): void {
  if (!/^[\x21-\x7e]{1,255}$/.test(entry.uid)) throw new RangeError(`invalid calendar uid: ${entry.uid}`);
  if (!(entry.start instanceof Date) || Number.isNaN(entry.start.getTime())) throw new RangeError(`invalid start for ${entry.uid}`);
  if (!Number.isInteger(entry.durationMinutes) || entry.durationMinutes < 1) throw new RangeError(`invalid duration for ${entry.uid}`);
  const url = URL.canParse(entry.url) ? new URL(entry.url) : null;
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) throw new RangeError(`calendar URL must be absolute: ${entry.url}`);
}
