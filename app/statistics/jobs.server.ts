import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { refreshStatistics } from "./rollups.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      /** Every minute (crontab): recomputes the statistics of the days in which something changed. */
      refresh_statistics: Record<string, never>;
    }
  }
}

export const statisticsTasks: Tasks<"refresh_statistics"> = {
  refresh_statistics: async () => void (await refreshStatistics(db())),
};
