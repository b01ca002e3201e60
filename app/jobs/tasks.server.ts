import type { Task, TaskList } from "graphile-worker";
import { pruneFailures } from "~/auth/throttle.server";
import { refreshTagUsage } from "~/contributions/tags.server";
import { db } from "~/db.server";
import { sendMail, type Mail } from "~/mail/mailer.server";
import { sweepOrphanFiles } from "~/photos/sweeper.server";
import { storage } from "~/photos/storage.server";
import { sendDigests, sendNotificationEmail } from "~/review/notifications.server";
import { flagExpiredRights } from "~/review/review.server";

/** What each task receives; enqueue() is typed by it. */
export interface TaskPayloads {
  send_email: Mail;
  prune_login_failures: Record<string, never>;
  notification_email: { notificationId: number };
  notification_digest: Record<string, never>;
  sweep_uploads: Record<string, never>;
  flag_expired_rights: Record<string, never>;
  refresh_tag_usage: Record<string, never>;
}

// One line per task, pointing into the feature modules.
export const taskList: TaskList = {
  send_email: (async (payload) => sendMail(payload as Mail)) as Task,
  prune_login_failures: (async () => pruneFailures(db())) as Task,
  notification_email: (async (p) => sendNotificationEmail(db(), (p as TaskPayloads["notification_email"]).notificationId)) as Task,
  notification_digest: (async () => void (await sendDigests(db()))) as Task,
  // Files no row points at, left by a crash between writing a file and its row; a day's grace.
  sweep_uploads: (async () => void (await sweepOrphanFiles(db(), storage(), { graceMs: 24 * 3600_000 }))) as Task,
  flag_expired_rights: (async () => void (await flagExpiredRights(db()))) as Task,
  refresh_tag_usage: (async () => refreshTagUsage(db())) as Task,
};

export const crontab = [
  "*/15 * * * * prune_login_failures",
  "0 7 * * * notification_digest",
  "30 3 * * * sweep_uploads",
  "5 0 * * * flag_expired_rights",
  "10 * * * * refresh_tag_usage",
].join("\n");
