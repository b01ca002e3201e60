import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { buildExport, deleteExpiredExports, markExportFailed } from "./export.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      /** One data export, built into the storage (app/privacy/export.server.ts). */
      build_export: { exportId: number };
      delete_expired_exports: Record<string, never>;
    }
  }
}

export const exportTasks: Tasks<"build_export" | "delete_expired_exports"> = {
  build_export: async ({ exportId }, helpers) => {
    try {
      await buildExport(db(), exportId);
    } catch (error) {
      // The page stops saying "in progress" once no attempt is left.
      if (helpers.job.attempts >= helpers.job.max_attempts) await markExportFailed(db(), exportId);
      throw error;
    }
  },
  delete_expired_exports: async () => {
    await deleteExpiredExports(db());
  },
};
