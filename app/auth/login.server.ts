import { inTransaction, type DB } from "~/db.server";
import { audit } from "~/privacy/audit.server";
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
    .select(["id", "password_hash", "active", "role", "department_id"])
    .where("email", "=", email.trim().toLowerCase())
    .executeTakeFirst();
  const valid = await verifyPassword(user?.password_hash ?? (await timingDummyHash()), password);
  if (!user || !user.active || !user.password_hash || !valid) {
    await inTransaction(db, async (trx) => {
      await recordFailure(trx, keys);
      // What was typed as the e-mail is not kept for an unknown account: people type passwords there.
      const subject = user ? { type: "user" as const, id: user.id, departmentId: user.department_id } : null;
      const reason = !user ? "unknown_account" : !user.active ? "inactive" : !user.password_hash ? "no_password" : "wrong_password";
      await audit(trx, null, "sign_in_failed", subject, { reason }, { ip });
    });
    return { ok: false, reason: "invalid" };
  }
  await inTransaction(db, async (trx) => {
    await clearFailures(trx, keys[0]);
    const actor = { id: user.id, role: user.role, departmentId: user.department_id };
    await audit(trx, actor, "sign_in", { type: "user", id: user.id, departmentId: user.department_id }, {}, { ip });
  });
  return { ok: true, userId: user.id };
}
