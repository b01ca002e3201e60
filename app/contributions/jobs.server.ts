import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { pruneContentChanges } from "~/utils/kept.server";
import { refreshTagUsage } from "./tags.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      refresh_tag_usage: Record<string, never>;
      prune_content_changes: Record<string, never>;
    }
  }
}

export const contributionTasks: Tasks<"refresh_tag_usage" | "prune_content_changes"> = {
  refresh_tag_usage: () => refreshTagUsage(db()),
  prune_content_changes: async () => void (await pruneContentChanges(db())),
};
