// Periods of the statistics pages, as the organisation's calendar days (YYYY-MM-DD, both ends
// included). Pure date arithmetic on calendar dates: no time zone is involved once "today" is known.

export const PERIOD_KINDS = ["month", "quarter", "year", "custom"] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

export interface Period {
  kind: PeriodKind;
  from: string;
  to: string;
}

/** The longest custom period, in days (two years and a leap day). */
export const MAX_PERIOD_DAYS = 731;

const DAY_MS = 86_400_000;

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both included. */
export function dayCount(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

function firstOfMonth(date: string, monthsBack = 0): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - monthsBack);
  return d.toISOString().slice(0, 10);
}

/**
 * The days a choice covers, up to `today`: this month so far, this month and the two before, this
 * year so far, or the two dates given.
 */
export function resolvePeriod(kind: PeriodKind, today: string, custom?: { from: string; to: string }): Period {
  switch (kind) {
    case "month":
      return { kind, from: firstOfMonth(today), to: today };
    case "quarter":
      return { kind, from: firstOfMonth(today, 2), to: today };
    case "year":
      return { kind, from: `${today.slice(0, 4)}-01-01`, to: today };
    case "custom":
      if (!custom) throw new Error("custom period without dates");
      return { kind, from: custom.from, to: custom.to };
  }
}

/** The period of the same length that ends the day before `period` begins. */
export function previousPeriod(period: { from: string; to: string }): { from: string; to: string } {
  const to = addDays(period.from, -1);
  return { from: addDays(to, -(dayCount(period.from, period.to) - 1)), to };
}
