import type { Actor } from "~/auth/actor";
import { inTransaction, type DB } from "~/db.server";
import { audit } from "~/privacy/audit.server";
import { timingDummyHash, verifyPassword } from "./password.server";
import { clearFailures, recordFailure, throttledUntil, throttleKeys } from "./throttle.server";
import { challengeUser, endChallenge, useSecondFactor, type SecondFactor } from "./two-factor.server";

export type LoginResult =
  /** `secondFactor`: the password was right, and the account's code is asked next (no session yet). */
  | { ok: true; userId: string; secondFactor: boolean }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAt: Date };

/**
 * Checks the throttle before any hashing (each verify costs a core ~30 ms), then the password.
 * An unknown e-mail, a deactivated account and a wrong password give the same answer. An account
 * with a second factor is signed in (and audited) only once its code is checked (authenticateCode).
 */
export async function authenticate(db: DB, email: string, password: string, ip: string): Promise<LoginResult> {
  const keys = throttleKeys(email, ip);
  const retryAt = await throttledUntil(db, keys);
  if (retryAt) return { ok: false, reason: "throttled", retryAt };
  const user = await db
    .selectFrom("app_user")
    .select((eb) => [
      "id",
      "password_hash",
      "active",
      "role",
      "department_id",
      eb
        .exists(eb.selectFrom("two_factor as t").select("t.user_id").whereRef("t.user_id", "=", "app_user.id").where("t.enabled_at", "is not", null))
        .as("second_factor"),
    ])
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
    if (user.second_factor) return;
    const actor = { id: user.id, role: user.role, departmentId: user.department_id };
    await audit(trx, actor, "sign_in", { type: "user", id: user.id, departmentId: user.department_id }, {}, { ip });
  });
  return { ok: true, userId: user.id, secondFactor: Boolean(user.second_factor) };
}

export type CodeResult =
  | { ok: true; userId: string; factor: SecondFactor }
  | { ok: false; reason: "expired" | "invalid" }
  | { ok: false; reason: "throttled"; retryAt: Date };

/**
 * The second step of a sign-in: the code from the app, or a recovery code, for the account whose
 * password was right under this challenge token. Throttled like passwords, per account and per
 * address; the account's counter is its own, so a right password does not reset it.
 */
export async function authenticateCode(db: DB, token: string | null, code: string, ip: string): Promise<CodeResult> {
  const user = await challengeUser(db, token);
  if (!user || !token) return { ok: false, reason: "expired" };
  const keys = [`code:${user.id}`, throttleKeys("", ip)[1]];
  const retryAt = await throttledUntil(db, keys);
  if (retryAt) return { ok: false, reason: "throttled", retryAt };
  const factor = await useSecondFactor(db, user.id, code);
  const subject = { type: "user" as const, id: user.id, departmentId: user.departmentId };
  await inTransaction(db, async (trx) => {
    if (!factor) {
      await recordFailure(trx, keys);
      await audit(trx, null, "sign_in_failed", subject, { reason: "wrong_code" }, { ip });
      return;
    }
    await clearFailures(trx, keys[0]);
    await endChallenge(trx, token);
    await audit(trx, user, "sign_in", subject, { second_factor: factor }, { ip });
  });
  return factor ? { ok: true, userId: user.id, factor } : { ok: false, reason: "invalid" };
}

/**
 * The password typed again before a sensitive action (requireRecentAuth). Throttled and audited
 * like a sign-in's password: someone at an unlocked screen must not get to guess it freely.
 */
export async function confirmPassword(
  db: DB,
  user: { id: string; email: string; role: Actor["role"]; departmentId: number | null },
  password: string,
  ip: string,
): Promise<{ ok: true } | { ok: false; reason: "invalid" } | { ok: false; reason: "throttled"; retryAt: Date }> {
  const keys = throttleKeys(user.email, ip);
  const retryAt = await throttledUntil(db, keys);
  if (retryAt) return { ok: false, reason: "throttled", retryAt };
  const row = await db.selectFrom("app_user").select("password_hash").where("id", "=", user.id).executeTakeFirst();
  const valid = await verifyPassword(row?.password_hash ?? (await timingDummyHash()), password);
  if (!row?.password_hash || !valid) {
    await inTransaction(db, async (trx) => {
      await recordFailure(trx, keys);
      await audit(trx, user, "sign_in_failed", { type: "user", id: user.id, departmentId: user.departmentId }, { reason: "wrong_password_confirmation" }, { ip });
    });
    return { ok: false, reason: "invalid" };
  }
  await clearFailures(db, keys[0]);
  return { ok: true };
}
