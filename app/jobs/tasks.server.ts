import type { TaskList } from "graphile-worker";
import { authTasks } from "~/auth/jobs.server";
import { consentTasks } from "~/consent/jobs.server";
import { contributionTasks } from "~/contributions/jobs.server";
import { mailTasks } from "~/mail/jobs.server";
import { notificationTasks } from "~/notifications/jobs.server";
import { photoTasks } from "~/photos/jobs.server";
import { exportTasks } from "~/privacy/export-jobs.server";
import { privacyTasks } from "~/privacy/jobs.server";
import { publishingTasks } from "~/publishing/jobs.server";
import { statisticsTasks } from "~/statistics/jobs.server";
import type { TaskName, Tasks } from "./queue.server";

export type { TaskPayloads } from "./queue.server";

// Every feature's tasks (each declares its own in its jobs.server.ts). Typed as every declared
// payload's task: a payload declared without its task does not compile.
const tasks: Tasks<TaskName> = {
  ...mailTasks,
  ...authTasks,
  ...contributionTasks,
  ...notificationTasks,
  ...photoTasks,
  ...consentTasks,
  ...publishingTasks,
  ...statisticsTasks,
  ...privacyTasks,
  ...exportTasks,
};

export const taskList: TaskList = tasks;

export const crontab = [
  "*/15 * * * * prune_login_failures",
  // Hourly, sent only at 07:00 in the organisation's time zone (the task checks the hour).
  "0 * * * * notification_digest",
  "30 3 * * * sweep_uploads",
  // Hourly: cron runs in UTC, and an authorisation ends at midnight in the organisation's time
  // zone, whatever that is (an hourly pass finds nothing to do 23 times a day).
  "5 * * * * flag_expired_rights",
  // Likewise for the consent register's authorisations (each handled once).
  "6 * * * * handle_expired_consents",
  "10 * * * * refresh_tag_usage",
  // The statistics' roll-ups trail what happened by a minute at most (the triggers mark the hours).
  "* * * * * refresh_statistics",
  // Reach of posts on Mastodon and Bluesky: each run reads only those due (hourly, then daily).
  "40 * * * * fetch_reach",
  // What tells /calendar.ics that its document is still right stays a few rows long.
  "45 * * * * prune_calendar_changes",
  // Likewise for the version kept answers are checked against (app/utils/kept.server.ts).
  "50 * * * * prune_content_changes",
  // Hourly, applied only at 03:00 in the organisation's time zone (the task checks the hour).
  "20 * * * * apply_retention",
  // Data exports are downloadable for EXPORT_VALID_HOURS (app/privacy/export.server.ts).
  "25 * * * * delete_expired_exports",
].join("\n");
