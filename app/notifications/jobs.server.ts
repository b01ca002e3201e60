import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { sendDigests, sendNotificationEmail } from "./emails.server";

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
  notification_digest: async () => void (await sendDigests(db())),
};
