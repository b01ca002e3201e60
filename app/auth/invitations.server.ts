import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import { assertAdmin, type Actor } from "~/auth/actor";
import { inTransaction, type DB } from "~/db.server";
import { publicUrl } from "~/env.server";
import { tFor } from "~/i18n/i18n";
import { enqueue } from "~/jobs/queue.server";
import { hashPassword, PASSWORD_MIN_LENGTH } from "./password.server";

export const INVITATION_DAYS = 7;

function digest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * A one-time link to choose a password, valid 7 days. Only its hash is stored; the link itself
 * is returned (the admin sees it) and mailed to the person in their language. By an admin, or the
 * system (null: the CLI).
 */
export async function createInvitation(db: DB, actor: Actor | null, userId: string): Promise<string> {
  assertAdmin(actor);
  const token = randomBytes(32).toString("base64url");
  const link = `${publicUrl()}/invitation/${token}`;
  await inTransaction(db, async (trx) => {
    // A new link replaces any earlier unused one.
    await trx.deleteFrom("invitation").where("user_id", "=", userId).where("used_at", "is", null).execute();
    await trx
      .insertInto("invitation")
      .values({
        token_hash: digest(token),
        user_id: userId,
        created_by: actor?.id ?? null,
        expires_at: sql<Date>`now() + make_interval(days => ${INVITATION_DAYS})`,
      })
      .execute();
    const user = await trx
      .selectFrom("app_user")
      .select(["email", "display_name", "locale"])
      .where("id", "=", userId)
      .executeTakeFirstOrThrow();
    const t = tFor(user.locale);
    await enqueue(
      trx,
      "send_email",
      { to: user.email, subject: t("mail.invitation.subject"), text: t("mail.invitation.body", { name: user.display_name, link, days: INVITATION_DAYS }) },
      { jobKey: invitationMailKey(userId) },
    );
  });
  return link;
}

/**
 * The key of an account's pending invitation mail: a newer invitation replaces it, and closing the
 * account takes it back (privacy/erasure.server.ts) before it goes out with the address.
 */
export function invitationMailKey(userId: string): string {
  return `invitation-mail:${userId}`;
}

export type InvitationState =
  | { state: "valid"; userId: string; email: string; displayName: string }
  | { state: "expired" | "used" | "unknown" };

export async function checkInvitation(db: DB, token: string): Promise<InvitationState> {
  const row = await db
    .selectFrom("invitation as i")
    .innerJoin("app_user as u", "u.id", "i.user_id")
    .select(["i.user_id", "i.used_at", sql<boolean>`i.expires_at < now()`.as("expired"), "u.email", "u.display_name"])
    .where("i.token_hash", "=", digest(token))
    .executeTakeFirst();
  if (!row) return { state: "unknown" };
  if (row.used_at) return { state: "used" };
  if (row.expired) return { state: "expired" };
  return { state: "valid", userId: row.user_id, email: row.email, displayName: row.display_name };
}

export type AcceptResult = { ok: true; userId: string } | { ok: false; field: string; key: string; params?: Record<string, unknown> };

/** Sets the password and uses up the link, once: a second use in a race finds it used. */
export async function acceptInvitation(db: DB, token: string, password: string, confirm: string): Promise<AcceptResult> {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return { ok: false, field: "password", key: "invite.tooShort", params: { min: PASSWORD_MIN_LENGTH } };
  }
  if (password.length > 256) return { ok: false, field: "password", key: "invite.tooLong" };
  if (password !== confirm) return { ok: false, field: "confirm", key: "invite.mismatch" };
  const passwordHash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    const used = await trx
      .updateTable("invitation")
      .set({ used_at: sql`now()` })
      .where("token_hash", "=", digest(token))
      .where("used_at", "is", null)
      .where("expires_at", ">", sql<Date>`now()`)
      .returning("user_id")
      .executeTakeFirst();
    if (!used) return { ok: false as const, field: "form", key: "invite.used" };
    // A deactivated account stays deactivated (and has no open invitation left: setActive removes them).
    await trx.updateTable("app_user").set({ password_hash: passwordHash }).where("id", "=", used.user_id).execute();
    return { ok: true as const, userId: used.user_id };
  });
}
