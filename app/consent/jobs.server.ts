import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { handleExpiredConsents } from "./consents.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      handle_expired_consents: Record<string, never>;
    }
  }
}

export const consentTasks: Tasks<"handle_expired_consents"> = {
  handle_expired_consents: async () => void (await handleExpiredConsents(db())),
};
