import type { NotificationKind } from "../../db/schema";
import type { DB } from "~/db.server";

export async function emailPreferences(db: DB, userId: string) {
  return db.selectFrom("app_user").select(["email_kinds", "email_digest"]).where("id", "=", userId).executeTakeFirstOrThrow();
}

export async function setEmailPreferences(db: DB, userId: string, prefs: { kinds: NotificationKind[]; digest: boolean }): Promise<void> {
  await db.updateTable("app_user").set({ email_kinds: prefs.kinds, email_digest: prefs.digest }).where("id", "=", userId).execute();
}
