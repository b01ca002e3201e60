import type { Actor } from "~/auth/actor";
import { canView } from "~/contributions/visibility.server";
import type { DB } from "~/db.server";
import { assertPublisher } from "./channels.server";
import { embargoBlock, holdPublication } from "./queue.server";

/**
 * Sets or clears a contribution's embargo (comms and admins; 404 for a contribution they may not
 * see), whatever its status: comms learn of an embargo late too. Publications not yet delivered
 * whose time is now before it are held at once, with the reason, for comms to move and release;
 * delivery checks again anyway. Returns how many were held.
 */
export async function setEmbargo(db: DB, actor: Actor, contributionId: number, embargo: Date | null): Promise<number> {
  assertPublisher(actor);
  const c = await db
    .selectFrom("contribution")
    .select(["id", "status", "visibility", "author_id", "department_id"])
    .where("id", "=", contributionId)
    .executeTakeFirst();
  if (!c || !canView(actor, c)) throw new Response("Not Found", { status: 404 });
  // Not a new version: a reviewer's open decision form stays valid, the text has not changed.
  await db.updateTable("contribution").set({ embargo_until: embargo }).where("id", "=", contributionId).execute();
  if (!embargo) return 0;
  const early = await db
    .selectFrom("publication")
    .select("id")
    .where("contribution_id", "=", contributionId)
    .where("state", "in", ["queued", "scheduled", "failed"])
    .where("scheduled_at", "<", embargo)
    .execute();
  let held = 0;
  for (const { id } of early) {
    const reason = await embargoBlock(db, id);
    if (reason && (await holdPublication(db, id, reason))) held++;
  }
  return held;
}
