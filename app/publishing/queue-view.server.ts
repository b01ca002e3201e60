import { Temporal } from "temporal-polyfill";
import { todayIn } from "~/utils/dates";

// The queue page's time arithmetic, in the organisation's time zone: which days a week or a month
// view covers (a day is a local day, 23 or 25 hours long around a daylight-saving change), and
// what a time typed in a datetime-local field means.

export type QueueView = "list" | "week" | "month";

export interface Range {
  view: QueueView;
  /** First local day shown (YYYY-MM-DD). */
  start: string;
  days: string[];
  from: Date;
  to: Date;
  previous: string;
  next: string;
}

function dayAt(value: string | null, timeZone: string): Temporal.PlainDate {
  if (value && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    try {
      return Temporal.PlainDate.from(value, { overflow: "reject" });
    } catch {
      // An impossible date (2026-02-31) shows today, like no date.
    }
  }
  return Temporal.Now.plainDateISO(timeZone);
}

const instant = (day: Temporal.PlainDate, timeZone: string) => new Date(day.toZonedDateTime({ timeZone }).epochMilliseconds);

/** The days a view covers around `at` (today by default): from Monday for a week, the 1st for a month; the list shows 8 weeks. */
export function rangeOf(view: QueueView, at: string | null, timeZone: string): Range {
  const day = dayAt(at, timeZone);
  let start: Temporal.PlainDate;
  let end: Temporal.PlainDate;
  let step: Temporal.DurationLike;
  if (view === "month") {
    start = day.with({ day: 1 });
    end = start.add({ months: 1 });
    step = { months: 1 };
  } else if (view === "week") {
    start = day.subtract({ days: day.dayOfWeek - 1 });
    end = start.add({ days: 7 });
    step = { weeks: 1 };
  } else {
    start = day;
    end = start.add({ weeks: 8 });
    step = { weeks: 8 };
  }
  const days: string[] = [];
  for (let d = start; Temporal.PlainDate.compare(d, end) < 0; d = d.add({ days: 1 })) days.push(d.toString());
  return {
    view,
    start: start.toString(),
    days,
    from: instant(start, timeZone),
    to: instant(end, timeZone),
    previous: start.subtract(step).toString(),
    next: start.add(step).toString(),
  };
}

/** One local day (YYYY-MM-DD) as the instants it begins and ends at; null when it is not a real day. */
export function dayRange(value: string | null, timeZone: string): { day: string; from: Date; to: Date } | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  try {
    const day = Temporal.PlainDate.from(value, { overflow: "reject" });
    return { day: day.toString(), from: instant(day, timeZone), to: instant(day.add({ days: 1 }), timeZone) };
  } catch {
    return null;
  }
}

/** A queue list cursor as a link carries it ("<epoch ms>.<id>"), and back; null when it is not one. */
export function cursorParam(cursor: { at: Date; id: number }): string {
  return `${cursor.at.getTime()}.${cursor.id}`;
}
export function parseCursor(value: string | null): { at: Date; id: number } | null {
  const m = value ? /^(\d{1,15})\.(\d{1,9})$/.exec(value) : null;
  return m ? { at: new Date(Number(m[1])), id: Number(m[2]) } : null;
}

/**
 * The local day (YYYY-MM-DD) of an instant, by the cached Intl formatter: called for every row of
 * the list, where the Temporal polyfill cost ~2 % of the page's CPU.
 */
export function localDay(at: Date, timeZone: string): string {
  return todayIn(timeZone, at);
}

/** A datetime-local value ("2026-12-01T18:30") as local time in the zone; null when it is not one. */
export function localInstant(value: unknown, timeZone: string): Date | null {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  try {
    return new Date(Temporal.PlainDateTime.from(value, { overflow: "reject" }).toZonedDateTime(timeZone).epochMilliseconds);
  } catch {
    return null;
  }
}

/** An instant as a datetime-local value in the zone. */
export function localInput(at: Date, timeZone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(timeZone).toPlainDateTime().toString({ smallestUnit: "minute" });
}
