import type { DB } from "~/db.server";
import { timingDummyHash, verifyPassword } from "./password.server";
import { clearFailures, recordFailure, throttledUntil, throttleKeys } from "./throttle.server";

export type LoginResult =
  | { ok: true; userId: string }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAt: Date };

/**
 * Checks the throttle before any hashing (each verify costs a core ~30 ms), then the password.
 * An unknown e-mail, a deactivated account and a wrong password give the same answer.
 */
export async function authenticate(db: DB, email: string, password: string, ip: string): Promise<LoginResult> {
  const keys = throttleKeys(email, ip);
  const retryAt = await throttledUntil(db, keys);
  if (retryAt) return { ok: false, reason: "throttled", retryAt };
  const user = await db
    .selectFrom("app_user")
    .select(["id", "password_hash", "active"])
    .where("email", "=", email.trim().toLowerCase())
    .executeTakeFirst();
  const valid = await verifyPassword(user?.password_hash ?? (await timingDummyHash()), password);
  if (!user || !user.active || !user.password_hash || !valid) {
    await recordFailure(db, keys);
    return { ok: false, reason: "invalid" };
  }
  await clearFailures(db, keys[0]);
  return { ok: true, userId: user.id };
}
