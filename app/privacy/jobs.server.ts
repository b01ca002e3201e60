import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { organisationTimeZone } from "~/organisation/calendar.server";
import { applyRetention } from "./retention.server";

/** Retention runs at this hour of the organisation's night, when nobody is editing a draft. */
export const RETENTION_HOUR = 3;

/** Whether `at` falls in the retention hour in `timeZone` (cron runs in UTC: the task is hourly). */
export function isRetentionHour(at: Date, timeZone: string): boolean {
  const hour = new Intl.DateTimeFormat("en-GB", { hour: "numeric", hourCycle: "h23", timeZone }).format(at);
  return Number(hour) === RETENTION_HOUR;
}

declare global {
  namespace GraphileWorker {
    interface Tasks {
      apply_retention: Record<string, never>;
    }
  }
}

export const privacyTasks: Tasks<"apply_retention"> = {
  // graphile-worker gives a cron job the instant it was due, so a late run still counts for its hour.
  apply_retention: async (p) => {
    const due = (p as { _cron?: { ts?: string } })._cron?.ts;
    if (isRetentionHour(due ? new Date(due) : new Date(), organisationTimeZone())) await applyRetention(db());
  },
};
