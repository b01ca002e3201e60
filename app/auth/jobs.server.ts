import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { pruneEndedSessions } from "./sessions.server";
import { pruneFailures } from "./throttle.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      prune_login_failures: Record<string, never>;
    }
  }
}

export const authTasks: Tasks<"prune_login_failures"> = {
  // Also ends, in the database, the sessions the organisation's timeouts have ended.
  prune_login_failures: async () => {
    await pruneFailures(db());
    await pruneEndedSessions(db());
  },
};
