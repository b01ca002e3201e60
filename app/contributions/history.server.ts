import type { EventKind } from "../../db/schema";
import type { Transaction } from "kysely";
import type { Database, DB } from "~/db.server";

/** Appends to a contribution's history (transitions, decisions with their comment, edits). */
export async function addEvent(
  trx: Transaction<Database>,
  event: { contributionId: number; actorId: string | null; kind: EventKind; message?: string | null; data?: Record<string, unknown> },
): Promise<void> {
  await trx
    .insertInto("contribution_event")
    .values({
      contribution_id: event.contributionId,
      actor_id: event.actorId,
      kind: event.kind,
      message: event.message ?? null,
      data: JSON.stringify(event.data ?? {}),
    })
    .execute();
}

export async function listEvents(db: DB, contributionId: number) {
  return db
    .selectFrom("contribution_event as e")
    .leftJoin("app_user as u", "u.id", "e.actor_id")
    .select(["e.id", "e.kind", "e.message", "e.data", "e.created_at", "u.display_name as actor_name", "e.actor_id"])
    .where("e.contribution_id", "=", contributionId)
    .orderBy("e.id")
    .execute();
}
