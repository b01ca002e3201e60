import { sql } from "kysely";
import type { DB } from "~/db.server";
import { publicUrl } from "~/env.server";
import { tFor } from "~/i18n/i18n";
import { sendMail } from "~/mail/mailer.server";

async function describe(db: DB, notificationIds: number[]) {
  return db
    .selectFrom("notification as n")
    .innerJoin("app_user as u", "u.id", "n.user_id")
    .leftJoin("app_user as a", "a.id", "n.actor_id")
    .select(["n.id", "n.kind", "n.link", "n.data", "u.email", "u.locale", "u.active", sql<string>`n.data->>'title'`.as("title"), "a.display_name as actor_name"])
    .where("n.id", "in", notificationIds)
    .where("n.emailed_at", "is", null)
    .orderBy("n.id")
    .execute();
}

function line(t: ReturnType<typeof tFor>, n: Awaited<ReturnType<typeof describe>>[number]) {
  const link = `${publicUrl()}${n.link ?? ""}`;
  const data = n.data as { message?: string; posts?: { channel: string; title: string; url: string | null }[] };
  // An image-rights alert lists the posts already out, to take down by hand.
  const posts = Array.isArray(data.posts) && data.posts.length ? [t("notifications.posts"), ...data.posts.map((p) => `- ${p.channel} — « ${p.title} » : ${p.url ?? ""}`)].join("\n") : undefined;
  return { text: t(`notifications.kinds.${n.kind}`, { ...data, title: n.title ?? "", actor: n.actor_name ?? "" }), link, reason: data.message, posts };
}

/** The job behind one notification's e-mail, in the recipient's language. */
export async function sendNotificationEmail(db: DB, notificationId: number): Promise<void> {
  const [n] = await describe(db, [notificationId]);
  if (!n || !n.active) return; // already sent (a retry), or the account is gone
  const t = tFor(n.locale);
  const { text, link, reason, posts } = line(t, n);
  await sendMail({
    to: n.email,
    subject: t("mail.notification.subject", { text }),
    text: [t("mail.notification.greeting"), "", text, reason ? `\n« ${reason} »` : "", posts ? `\n${posts}` : "", "", link, "", t("mail.notification.footer", { url: `${publicUrl()}/settings` })].join("\n"),
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
