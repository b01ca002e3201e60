import type { Task, TaskList } from "graphile-worker";
import { pruneFailures } from "~/auth/throttle.server";
import { db } from "~/db.server";
import { sendMail, type Mail } from "~/mail/mailer.server";

/** What each task receives; enqueue() is typed by it. */
export interface TaskPayloads {
  send_email: Mail;
  prune_login_failures: Record<string, never>;
}

// One line per task, pointing into the feature modules.
export const taskList: TaskList = {
  send_email: (async (payload) => sendMail(payload as Mail)) as Task,
  prune_login_failures: (async () => pruneFailures(db())) as Task,
};

export const crontab = ["*/15 * * * * prune_login_failures"].join("\n");
