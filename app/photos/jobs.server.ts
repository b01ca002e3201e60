import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { flagExpiredRights } from "./rights.server";
import { storage } from "./storage.server";
import { sweepOrphanFiles } from "./sweeper.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      sweep_uploads: Record<string, never>;
      flag_expired_rights: Record<string, never>;
    }
  }
}

export const photoTasks: Tasks<"sweep_uploads" | "flag_expired_rights"> = {
  // Files no row points at, left by a crash between writing a file and its row; a day's grace.
  sweep_uploads: async () => void (await sweepOrphanFiles(db(), storage(), { graceMs: 24 * 3600_000 })),
  flag_expired_rights: async () => void (await flagExpiredRights(db())),
};
