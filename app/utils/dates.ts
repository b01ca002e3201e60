// Dates and times as people read them. Pages are rendered on the server and again in the browser:
// both must print the same text, so nothing here depends on the machine's time zone. Instants are
// shown in the organisation's time zone (the ORGANISATION_TIME_ZONE setting, which the root loader
// hands to the browser); calendar dates ("2026-03-14", an event's day) as they are.
import { useRouteLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";

/**
 * The organisation's time zone, from the root loader's data: the server's render and the browser's
 * hydration read the same value. Without that data (the root loader itself failed), the setting's default.
 */
export function useOrganisationTimeZone(): string {
  const root = useRouteLoaderData<{ timeZone?: string }>("root");
  return root?.timeZone ?? "Europe/Paris";
}

type DateInput = Date | string | number;

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

function toDate(value: DateInput): { date: Date; calendar: boolean } {
  if (typeof value === "string" && CALENDAR_DATE.test(value)) return { date: new Date(`${value}T00:00:00Z`), calendar: true };
  return { date: value instanceof Date ? value : new Date(value), calendar: false };
}

/**
 * Texts each formatter keeps, by instant: pages show the same dates again and again (a queue's
 * first day, today), and ICU takes 5–15 µs to write one (a tenth of the queue page's own render;
 * decision 0011, thirteenth pass). Forgotten all at once when full.
 */
const TEXTS_KEPT = 2_000;
interface Formatter {
  intl: Intl.DateTimeFormat;
  texts: Map<number, string>;
}
const formatters = new Map<string, Formatter>();
function formatter(language: string, options: Intl.DateTimeFormatOptions): Formatter {
  const key = `${language}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = { intl: new Intl.DateTimeFormat(language, options), texts: new Map() };
    formatters.set(key, f);
  }
  return f;
}

/** `date` as `options` write it in `language`, from the formatter's texts when it wrote it before. */
function formatted(language: string, options: Intl.DateTimeFormatOptions, date: Date): string {
  const { intl, texts } = formatter(language, options);
  const time = date.getTime();
  let text = texts.get(time);
  if (text === undefined) {
    text = intl.format(date);
    if (texts.size >= TEXTS_KEPT) texts.clear();
    texts.set(time, text);
  }
  return text;
}

/** A month ("2026-03"): "mars 26" (short) or "mars 2026" (long). */
export function formatMonth(month: string, language: string, style: "short" | "long"): string {
  const options: Intl.DateTimeFormatOptions = style === "short" ? { month: "short", year: "2-digit", timeZone: "UTC" } : { month: "long", year: "numeric", timeZone: "UTC" };
  return formatted(language, options, new Date(`${month}-01T00:00:00Z`));
}

/** A day: "14 mars 2026" (long) or "14 mars 2026" / "Mar 14, 2026" (medium). Calendar dates stay on their day. */
export function formatDate(value: DateInput, language: string, timeZone: string, style: "medium" | "long" = "medium"): string {
  const { date, calendar } = toDate(value);
  return formatted(language, { dateStyle: style, timeZone: calendar ? "UTC" : timeZone }, date);
}

/** A day and a time: "14 mars 2026, 09:30". */
export function formatDateTime(value: DateInput, language: string, timeZone: string): string {
  return formatted(language, { dateStyle: "medium", timeStyle: "short", timeZone }, toDate(value).date);
}

/** A time of day: "09:30". */
export function formatTime(value: DateInput, language: string, timeZone: string): string {
  return formatted(language, { hour: "2-digit", minute: "2-digit", timeZone }, toDate(value).date);
}

/** "14/03/2026 09:30" in `timeZone`, whatever the language: what a French spreadsheet reads as a date and time. */
export function spreadsheetDateTime(value: DateInput, timeZone: string): string {
  const parts = formatter("fr-FR", { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone })
    .intl.formatToParts(toDate(value).date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("day")}/${part("month")}/${part("year")} ${part("hour")}:${part("minute")}`;
}

/** Today's date (YYYY-MM-DD) in `timeZone`. */
export function todayIn(timeZone: string, now = new Date()): string {
  // Read at the start of its minute (today's offsets are whole minutes: the same day), so
  // that the formatter's texts hold it.
  return formatted("sv-SE", { timeZone }, new Date(Math.floor(now.getTime() / 60_000) * 60_000));
}

/** The formatters bound to the page's language and the organisation's time zone, for components. */
export function useDates() {
  const { i18n } = useTranslation();
  return datesIn(i18n.language, useOrganisationTimeZone());
}

/** useDates' formatters for a part of a page that is given its time zone (KeptMarkup). */
export function datesIn(language: string, timeZone: string) {
  return {
    date: (value: DateInput, style?: "medium" | "long") => formatDate(value, language, timeZone, style),
    dateTime: (value: DateInput) => formatDateTime(value, language, timeZone),
    time: (value: DateInput) => formatTime(value, language, timeZone),
    today: () => todayIn(timeZone),
  };
}
