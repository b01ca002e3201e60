// Dates and times as people read them. Pages are rendered on the server and again in the browser:
// both must print the same text, so nothing here depends on the machine's time zone. Instants are
// shown in the organisation's time zone; calendar dates ("2026-03-14", an event's day) as they are.
import { useTranslation } from "react-i18next";

/** Where the organisation lives: the time zone of every time shown. */
export const ORGANISATION_TIME_ZONE = "Europe/Paris";

type DateInput = Date | string | number;

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

function toDate(value: DateInput): { date: Date; calendar: boolean } {
  if (typeof value === "string" && CALENDAR_DATE.test(value)) return { date: new Date(`${value}T00:00:00Z`), calendar: true };
  return { date: value instanceof Date ? value : new Date(value), calendar: false };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(language: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${language}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(language, options);
    formatters.set(key, f);
  }
  return f;
}

/** A day: "14 mars 2026" (long) or "14 mars 2026" / "Mar 14, 2026" (medium). Calendar dates stay on their day. */
export function formatDate(value: DateInput, language: string, style: "medium" | "long" = "medium", timeZone = ORGANISATION_TIME_ZONE): string {
  const { date, calendar } = toDate(value);
  return formatter(language, { dateStyle: style, timeZone: calendar ? "UTC" : timeZone }).format(date);
}

/** A day and a time: "14 mars 2026, 09:30". */
export function formatDateTime(value: DateInput, language: string, timeZone = ORGANISATION_TIME_ZONE): string {
  return formatter(language, { dateStyle: "medium", timeStyle: "short", timeZone }).format(toDate(value).date);
}

/** A time of day: "09:30". */
export function formatTime(value: DateInput, language: string, timeZone = ORGANISATION_TIME_ZONE): string {
  return formatter(language, { hour: "2-digit", minute: "2-digit", timeZone }).format(toDate(value).date);
}

/** The formatters bound to the page's language, for components. */
export function useDates() {
  const { i18n } = useTranslation();
  const language = i18n.language;
  return {
    date: (value: DateInput, style?: "medium" | "long") => formatDate(value, language, style),
    dateTime: (value: DateInput) => formatDateTime(value, language),
    time: (value: DateInput) => formatTime(value, language),
  };
}
