import { sql } from "kysely";
import type { NotificationKind } from "../../db/schema";
import type { DB } from "~/db.server";
import { publicUrl } from "~/env.server";
import { tFor } from "~/i18n/i18n";
import { enqueue } from "~/jobs/queue.server";
import { sendMail } from "~/mail/mailer.server";

export const NOTIFICATION_KINDS: NotificationKind[] = ["approved", "changes_requested", "rejected", "commented", "thanked", "submitted", "rights_alert"];

export async function unreadCount(db: DB, userId: string): Promise<number> {
  const row = await db
    .selectFrom("notification")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("user_id", "=", userId)
    .where("read_at", "is", null)
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * Records an in-app notification for each recipient (never the actor themself) and queues an
 * e-mail for those who want this kind by mail one at a time; digest readers get it in the daily
 * digest. Runs in the caller's transaction, so nothing is announced for a change that rolled back.
 */
export async function notify(
  trx: DB,
  n: {
    userIds: string[];
    kind: NotificationKind;
    contributionId: number | null;
    actorId: string | null;
    /** The title as it was: a later rename (perhaps of a draft the recipient may no longer see) does not show. */
    title: string;
    data?: Record<string, unknown>;
  },
): Promise<void> {
  const recipients = [...new Set(n.userIds)].filter((id) => id !== n.actorId);
  if (recipients.length === 0) return;
  const rows = await trx
    .insertInto("notification")
    .values(
      recipients.map((userId) => ({
        user_id: userId,
        kind: n.kind,
        contribution_id: n.contributionId,
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

/** A new submission: every active comms member is told. */
export async function notifyCommsOfSubmission(trx: DB, s: { contributionId: number; actorId: string; title: string }): Promise<void> {
  const comms = await trx.selectFrom("app_user").select("id").where("role", "=", "comms").where("active", "=", true).execute();
  await notify(trx, { userIds: comms.map((c) => c.id), kind: "submitted", contributionId: s.contributionId, actorId: s.actorId, title: s.title });
}

export async function listNotifications(db: DB, userId: string, limit = 50) {
  return db
    .selectFrom("notification as n")
    .leftJoin("app_user as a", "a.id", "n.actor_id")
    .select(["n.id", "n.kind", "n.contribution_id", "n.read_at", "n.created_at", "n.data", sql<string>`n.data->>'title'`.as("title"), "a.display_name as actor_name"])
    .where("n.user_id", "=", userId)
    .orderBy("n.id", "desc")
    .limit(limit)
    .execute();
}

export async function markRead(db: DB, userId: string, ids?: number[]): Promise<void> {
  let q = db.updateTable("notification").set({ read_at: sql`now()` }).where("user_id", "=", userId).where("read_at", "is", null);
  if (ids) q = q.where("id", "in", ids.length ? ids : [-1]);
  await q.execute();
}

async function describe(db: DB, notificationIds: number[]) {
  return db
    .selectFrom("notification as n")
    .innerJoin("app_user as u", "u.id", "n.user_id")
    .leftJoin("app_user as a", "a.id", "n.actor_id")
    .select(["n.id", "n.kind", "n.contribution_id", "n.data", "u.email", "u.locale", "u.active", sql<string>`n.data->>'title'`.as("title"), "a.display_name as actor_name"])
    .where("n.id", "in", notificationIds)
    .where("n.emailed_at", "is", null)
    .orderBy("n.id")
    .execute();
}

function line(t: ReturnType<typeof tFor>, n: Awaited<ReturnType<typeof describe>>[number]) {
  const link = n.contribution_id ? `${publicUrl()}/contributions/${n.contribution_id}` : publicUrl();
  const data = n.data as { message?: string };
  return { text: t(`notifications.kinds.${n.kind}`, { ...data, title: n.title ?? "", actor: n.actor_name ?? "" }), link, reason: data.message };
}

/** The job behind one notification's e-mail, in the recipient's language. */
export async function sendNotificationEmail(db: DB, notificationId: number): Promise<void> {
  const [n] = await describe(db, [notificationId]);
  if (!n || !n.active) return; // already sent (a retry), or the account is gone
  const t = tFor(n.locale);
  const { text, link, reason } = line(t, n);
  await sendMail({
    to: n.email,
    subject: t("mail.notification.subject", { text }),
    text: [t("mail.notification.greeting"), "", text, reason ? `\n« ${reason} »` : "", "", link, "", t("mail.notification.footer", { url: `${publicUrl()}/settings` })].join("\n"),
  });
  await db.updateTable("notification").set({ emailed_at: sql`now()` }).where("id", "=", notificationId).execute();
}

/** The daily digest: one mail per digest reader with what they have not been mailed yet. */
export async function sendDigests(db: DB): Promise<number> {
  const pending = await db
    .selectFrom("notification as n")
    .innerJoin("app_user as u", "u.id", "n.user_id")
    .select(["n.user_id", sql<number[]>`array_agg(n.id ORDER BY n.id)`.as("ids")])
    .where("u.email_digest", "=", true)
    .where("u.active", "=", true)
    .where("n.emailed_at", "is", null)
    .where(sql<boolean>`n.kind = ANY(u.email_kinds)`)
    .groupBy("n.user_id")
    .execute();
  for (const p of pending) {
    const items = await describe(db, p.ids.map(Number));
    if (items.length === 0) continue;
    const t = tFor(items[0].locale);
    const lines = items.map((n) => {
      const { text, link } = line(t, n);
      return `- ${text}\n  ${link}`;
    });
    await sendMail({
      to: items[0].email,
      subject: t("mail.digest.subject", { count: items.length }),
      text: [t("mail.notification.greeting"), "", t("mail.digest.intro"), "", ...lines, "", t("mail.notification.footer", { url: `${publicUrl()}/settings` })].join("\n"),
    });
    await db.updateTable("notification").set({ emailed_at: sql`now()` }).where("id", "in", items.map((i) => i.id)).execute();
  }
  return pending.length;
}

export async function setEmailPreferences(db: DB, userId: string, prefs: { kinds: NotificationKind[]; digest: boolean }): Promise<void> {
  await db.updateTable("app_user").set({ email_kinds: prefs.kinds, email_digest: prefs.digest }).where("id", "=", userId).execute();
}
