import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { sendDigests, sendNotificationEmail } from "./notifications.server";
import { flagExpiredRights } from "./review.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      notification_email: { notificationId: number };
      notification_digest: Record<string, never>;
      flag_expired_rights: Record<string, never>;
    }
  }
}

export const reviewTasks: Tasks<"notification_email" | "notification_digest" | "flag_expired_rights"> = {
  notification_email: (p) => sendNotificationEmail(db(), p.notificationId),
  notification_digest: async () => void (await sendDigests(db())),
  flag_expired_rights: async () => void (await flagExpiredRights(db())),
};
