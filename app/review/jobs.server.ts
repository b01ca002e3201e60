import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { flagExpiredRights } from "./review.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      flag_expired_rights: Record<string, never>;
    }
  }
}

export const reviewTasks: Tasks<"flag_expired_rights"> = {
  flag_expired_rights: async () => void (await flagExpiredRights(db())),
};
