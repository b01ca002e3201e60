import { sql, type Transaction } from "kysely";
import type { NotificationKind } from "../../db/schema";
import type { Actor } from "~/auth/actor";
import type { Database, DB } from "~/db.server";
import { enqueue } from "~/jobs/queue.server";

/** A path of this site ("/contributions/12"), never another host: what a notification may link to. */
export function isSitePath(link: string): boolean {
  return link.startsWith("/") && !link.startsWith("//") && !link.startsWith("/\\");
}

export interface NewNotification {
  userIds: string[];
  kind: NotificationKind;
  /** Who caused it; never notified of their own act. Null for the system (a daily job). */
  actorId: string | null;
  /** The subject's title as it was: a later rename (perhaps of a draft the recipient may no longer see) does not show. */
  title: string;
  /**
   * Where opening it leads, a path of this site stored ready: the subject may be a contribution,
   * a publication, an export… Null when there is nothing to open.
   */
  link: string | null;
  /** The contribution it is about, if any: deleting the contribution deletes the notification. */
  contributionId?: number | null;
  data?: Record<string, unknown>;
}

/**
 * Records an in-app notification for each recipient (never the actor themself) and queues an
 * e-mail for those who want this kind by mail one at a time; digest readers get it in the daily
 * digest. Runs in the caller's transaction, so nothing is announced for a change that rolled back.
 */
export async function notify(trx: Transaction<Database>, n: NewNotification): Promise<void> {
  if (n.link !== null && !isSitePath(n.link)) throw new Error(`Lien de notification hors du site : ${n.link}`);
  const recipients = [...new Set(n.userIds)].filter((id) => id !== n.actorId);
  if (recipients.length === 0) return;
  const rows = await trx
    .insertInto("notification")
    .values(
      recipients.map((userId) => ({
        user_id: userId,
        kind: n.kind,
        contribution_id: n.contributionId ?? null,
        link: n.link,
        actor_id: n.actorId,
        data: JSON.stringify({ ...n.data, title: n.title }),
      })),
    )
    .returning(["id", "user_id"])
    .execute();
  const wantMail = await trx
    .selectFrom("app_user")
    .select("id")
    .where("id", "in", recipients)
    .where("active", "=", true)
    .where("email_digest", "=", false)
    .where(sql<boolean>`${n.kind} = ANY(email_kinds)`)
    .execute();
  const mailTo = new Set(wantMail.map((u) => u.id));
  for (const row of rows) {
    if (mailTo.has(row.user_id)) await enqueue(trx, "notification_email", { notificationId: row.id });
  }
}

/** Tells every active member of the communication team (a submission, an image-rights alert). */
export async function notifyComms(trx: Transaction<Database>, n: Omit<NewNotification, "userIds">): Promise<void> {
  const comms = await trx.selectFrom("app_user").select("id").where("role", "=", "comms").where("active", "=", true).execute();
  await notify(trx, { ...n, userIds: comms.map((c) => c.id) });
}

export async function listNotifications(db: DB, userId: string, limit = 50) {
  return db
    .selectFrom("notification as n")
    .leftJoin("app_user as a", "a.id", "n.actor_id")
    .select(["n.id", "n.kind", "n.link", "n.read_at", "n.created_at", "n.data", sql<string>`n.data->>'title'`.as("title"), "a.display_name as actor_name"])
    .where("n.user_id", "=", userId)
    .orderBy("n.id", "desc")
    .limit(limit)
    .execute();
}

/** Marks the actor's own notifications read: those of `ids`, or all of them. */
export async function markRead(db: DB, actor: Actor, ids?: number[]): Promise<void> {
  let q = db.updateTable("notification").set({ read_at: sql`now()` }).where("user_id", "=", actor.id).where("read_at", "is", null);
  if (ids) q = q.where("id", "in", ids.length ? ids : [-1]);
  await q.execute();
}

/**
 * Opening a notification marks it read and says where it leads (null: nowhere, stay on the list).
 * Someone else's notification, or one that does not exist, answers 404.
 */
export async function openNotification(db: DB, actor: Actor, id: number): Promise<{ link: string | null }> {
  const row = await db
    .updateTable("notification")
    .set({ read_at: sql`coalesce(read_at, now())` })
    .where("id", "=", id)
    .where("user_id", "=", actor.id)
    .returning("link")
    .executeTakeFirst();
  if (!row) throw new Response("Not Found", { status: 404 });
  return { link: row.link !== null && isSitePath(row.link) ? row.link : null };
}
