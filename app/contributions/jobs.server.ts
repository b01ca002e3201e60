import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { refreshTagUsage } from "./tags.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      refresh_tag_usage: Record<string, never>;
    }
  }
}

export const contributionTasks: Tasks<"refresh_tag_usage"> = {
  refresh_tag_usage: () => refreshTagUsage(db()),
};
