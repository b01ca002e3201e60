// Posting slots: the weekly local times at which a channel posts, turned into UTC instants in the
// organisation's time zone. Pure (no database): the queue passes in the instants already taken.
// Temporal (the polyfill until Node 26 ships it) because slots are wall-clock times: a 09:00 slot
// must stay 09:00 local across a daylight-saving change, which adding 24 h or 7 days to an instant
// would not do (the days around a change last 23 or 25 hours).

import { Temporal } from "temporal-polyfill";

/** ISO weekday, as Temporal numbers them: 1 = Monday … 7 = Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** One weekly posting time: a weekday and a local wall-clock time "HH:MM" (24 h). */
export interface Slot {
  weekday: Weekday;
  time: string;
}

export const DEFAULT_TIME_ZONE = "Europe/Paris";

/**
 * Every working day at 18:30. Evening posts get the most engagement (comms officers say so, and
 * it is why the product has slots at all); 18:30 is after the working day, when agents, the first
 * to share their colleagues' work, and residents read; weekdays only, so that comms is at work the
 * next morning to answer replies. One a day per channel keeps followers from being flooded; a
 * slot nobody fills costs nothing.
 */
export const DEFAULT_SLOTS: readonly Slot[] = ([1, 2, 3, 4, 5] as const).map((weekday) => ({ weekday, time: "18:30" }));

/** How far ahead nextFreeSlot looks before giving up (the comms member then picks a time). */
export const FREE_SLOT_SEARCH_DAYS = 60;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "HH:MM" on a 24-hour clock, 00:00 to 23:59. */
export function isSlotTime(value: string): boolean {
  return TIME.test(value);
}

/** An IANA time-zone name this runtime knows ("Europe/Paris", "Asia/Kolkata"). */
export function isTimeZone(value: string): boolean {
  // Temporal also takes fixed offsets ("+05:30"); an organisation's zone must follow its DST rules.
  if (!/^[A-Za-z]/.test(value)) return false;
  try {
    Temporal.Now.zonedDateTimeISO(value);
    return true;
  } catch {
    return false;
  }
}

function checkedSlots(slots: readonly Slot[]): Map<number, Temporal.PlainTime[]> {
  const byWeekday = new Map<number, Temporal.PlainTime[]>();
  for (const { weekday, time } of slots) {
    const match = TIME.exec(time);
    if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7 || !match) {
      throw new RangeError(`invalid posting slot: ${JSON.stringify({ weekday, time })}`);
    }
    const list = byWeekday.get(weekday) ?? [];
    list.push(new Temporal.PlainTime(Number(match[1]), Number(match[2])));
    byWeekday.set(weekday, list);
  }
  return byWeekday;
}

function toInstant(date: Date, name: string): Temporal.Instant {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new RangeError(`${name} is not a valid date`);
  return Temporal.Instant.fromEpochMilliseconds(date.getTime());
}

/**
 * The instants of every slot from `from` (included) to `to` (excluded), ascending, each once.
 *
 * Local times that do not exist or exist twice follow Temporal's "compatible" disambiguation,
 * named explicitly here because it is the rule we promise comms:
 * - spring gap (Europe/Paris, last Sunday of March, 02:00 → 03:00): a 02:30 slot moves forward by
 *   the length of the gap, to 03:30 (+02:00). It is not skipped: a slot a week is still a post a
 *   week. If another slot is already at 03:30 that day, the two are one instant, listed once.
 * - autumn overlap (last Sunday of October, 03:00 → 02:00): a 02:30 slot happens once, at the
 *   earlier of the two offsets (02:30+02:00, i.e. 00:30Z), not twice.
 */
export function slotInstants(slots: readonly Slot[], timeZone: string, from: Date, to: Date): Date[] {
  const byWeekday = checkedSlots(slots);
  const start = toInstant(from, "from");
  const end = toInstant(to, "to");
  if (byWeekday.size === 0 || Temporal.Instant.compare(start, end) >= 0) return [];

  // One local day either side: a slot in a late-evening gap can land on the next local day.
  let day = start.toZonedDateTimeISO(timeZone).toPlainDate().subtract({ days: 1 });
  const lastDay = end.toZonedDateTimeISO(timeZone).toPlainDate().add({ days: 1 });
  const found = new Set<number>();
  for (; Temporal.PlainDate.compare(day, lastDay) <= 0; day = day.add({ days: 1 })) {
    for (const time of byWeekday.get(day.dayOfWeek) ?? []) {
      const ms = day.toPlainDateTime(time).toZonedDateTime(timeZone, { disambiguation: "compatible" }).epochMilliseconds;
      if (ms >= start.epochMilliseconds && ms < end.epochMilliseconds) found.add(ms);
    }
  }
  return [...found].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/**
 * The first slot strictly after `after` whose instant (epoch milliseconds) is not in `taken`,
 * looking FREE_SLOT_SEARCH_DAYS ahead; null when every slot in that window is taken (or there are
 * no slots). Two comms members may both be offered the same slot: the queue's unique constraint
 * on (channel, slot) decides, and the loser asks again with that slot added to `taken`.
 */
export function nextFreeSlot(
  slots: readonly Slot[],
  timeZone: string,
  after: Date,
  taken: ReadonlySet<number>,
): Date | null {
  const start = toInstant(after, "after");
  const from = new Date(start.epochMilliseconds + 1);
  const to = new Date(start.add({ hours: 24 * FREE_SLOT_SEARCH_DAYS }).epochMilliseconds);
  return slotInstants(slots, timeZone, from, to).find((instant) => !taken.has(instant.getTime())) ?? null;
}
