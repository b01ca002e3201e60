import { db } from "~/db.server";
import type { Tasks } from "~/jobs/queue.server";
import { pruneCalendarChanges } from "./calendar-feed.server";
import { deliverPublication } from "./delivery.server";
import { holdPublicationsUsingPhoto } from "./queue.server";
import { fetchDueReach } from "./reach.server";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      /** One job per publication (job key publication:<id>), at its time, then at each retry. */
      deliver_publication: { publicationId: number };
      /**
       * Queued by the photos module in the transaction that withdraws or expires an image right
       * (photos may not import publishing): holds the publications using that photo.
       */
      hold_publications_for_photo: { photoId: number };
      /** Hourly (crontab): reads the shares, likes and replies of the posts whose next read is due. */
      fetch_reach: Record<string, never>;
      /** Hourly (crontab): forgets the calendar's change marks older than an hour. */
      prune_calendar_changes: Record<string, never>;
    }
  }
}

export const publishingTasks: Tasks<"deliver_publication" | "hold_publications_for_photo" | "fetch_reach" | "prune_calendar_changes"> = {
  deliver_publication: async (p) => void (await deliverPublication(db(), p.publicationId)),
  hold_publications_for_photo: async (p) => void (await holdPublicationsUsingPhoto(db(), p.photoId)),
  fetch_reach: async () => void (await fetchDueReach(db())),
  prune_calendar_changes: async () => void (await pruneCalendarChanges(db())),
};
