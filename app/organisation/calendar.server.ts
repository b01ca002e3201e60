import { sql, type Expression, type RawBuilder } from "kysely";
import { env } from "~/env.server";

// The organisation's days, for SQL. A day begins at midnight in the organisation's time zone
// (ORGANISATION_TIME_ZONE), not the database's nor the server's: `current_date`, `now()::date` and a
// two-argument `date_trunc` all follow the session's TimeZone, which nobody here chooses. Every
// day boundary goes through these, so the rule is written once.

/** The organisation's time zone: an IANA name, Europe/Paris unless set. */
export function organisationTimeZone(): string {
  return env().ORGANISATION_TIME_ZONE;
}

/** The organisation's calendar day (a SQL date) at an instant: a timestamptz column or value, now by default. */
export function dayOf(instant: Expression<Date | string> | Date = sql<Date>`now()`): RawBuilder<string> {
  return sql<string>`((${instant})::timestamptz AT TIME ZONE ${organisationTimeZone()})::date`;
}

/** The instant (timestamptz) the organisation's day `date` (YYYY-MM-DD) begins. */
export function startOfDay(date: Expression<string> | string): RawBuilder<Date> {
  return sql<Date>`((${date})::date::timestamp AT TIME ZONE ${organisationTimeZone()})`;
}

/** The instant the day after `date` begins: the end, excluded, of the organisation's day `date`. */
export function endOfDay(date: Expression<string> | string): RawBuilder<Date> {
  return sql<Date>`(((${date})::date + 1)::timestamp AT TIME ZONE ${organisationTimeZone()})`;
}
