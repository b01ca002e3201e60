import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { organisationTimeZone } from "~/organisation/calendar.server";
import { sendDigests, sendNotificationEmail } from "./emails.server";

/** The digest goes out at this hour of the organisation's day. */
export const DIGEST_HOUR = 7;

/**
 * Whether `at` falls in the digest's hour in time zone `timeZone`. Cron runs in UTC, so the task is
 * scheduled hourly and this picks the hour that is 07:00 locally, summer and winter alike.
 */
export function isDigestHour(at: Date, timeZone: string): boolean {
  const hour = new Intl.DateTimeFormat("en-GB", { hour: "numeric", hourCycle: "h23", timeZone }).format(at);
  return Number(hour) === DIGEST_HOUR;
}

declare global {
  namespace GraphileWorker {
    interface Tasks {
      notification_email: { notificationId: number };
      notification_digest: Record<string, never>;
    }
  }
}

export const notificationTasks: Tasks<"notification_email" | "notification_digest"> = {
  notification_email: (p) => sendNotificationEmail(db(), p.notificationId),
  // graphile-worker gives a cron job the instant it was due (`_cron.ts`), so a late run still counts
  // for its own hour.
  notification_digest: async (p) => {
    const due = (p as { _cron?: { ts?: string } })._cron?.ts;
    if (isDigestHour(due ? new Date(due) : new Date(), organisationTimeZone())) await sendDigests(db());
  },
};
