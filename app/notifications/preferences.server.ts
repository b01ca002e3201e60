import type { NotificationKind } from "../../db/schema";
import type { Actor } from "~/auth/actor";
import type { DB } from "~/db.server";

export async function emailPreferences(db: DB, userId: string) {
  return db.selectFrom("app_user").select(["email_kinds", "email_digest"]).where("id", "=", userId).executeTakeFirstOrThrow();
}

/** The actor's own choice of what comes by e-mail, and whether as one daily digest. */
export async function setEmailPreferences(db: DB, actor: Actor, prefs: { kinds: NotificationKind[]; digest: boolean }): Promise<void> {
  await db.updateTable("app_user").set({ email_kinds: prefs.kinds, email_digest: prefs.digest }).where("id", "=", actor.id).execute();
}
