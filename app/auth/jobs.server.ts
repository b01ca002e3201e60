import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { pruneFailures } from "./throttle.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      prune_login_failures: Record<string, never>;
    }
  }
}

export const authTasks: Tasks<"prune_login_failures"> = {
  prune_login_failures: () => pruneFailures(db()),
};
