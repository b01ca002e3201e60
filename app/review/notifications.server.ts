import { sql } from "kysely";
import type { DB } from "~/db.server";

export async function unreadCount(db: DB, userId: string): Promise<number> {
  const row = await db
    .selectFrom("notification")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("user_id", "=", userId)
    .where("read_at", "is", null)
    .executeTakeFirstOrThrow();
  return row.n;
}
