import { createHash, randomBytes, randomInt } from "node:crypto";
import { generateSecret, generateURI, verifySync } from "otplib";
import QRCode from "qrcode";
import { sql } from "kysely";
import { assertAdmin, type Actor } from "~/auth/actor";
import { inTransaction, type DB } from "~/db.server";
import { audit } from "~/privacy/audit.server";
import { decryptSecret, encryptSecret, SecretError } from "~/publishing/secrets.server";

// TOTP as authenticator apps expect it (RFC 6238): SHA-1, 6 digits, 30-second steps; otplib's
// defaults, which the otpauth URI then need not spell out. A code of the step before or after is
// accepted too (a phone's clock a little off), and every step accepted once is refused afterwards.
const TOLERANCE_SECONDS = 30;
export const RECOVERY_CODE_COUNT = 10;
export const CHALLENGE_MINUTES = 10;
const ISSUER = "Relais";

const contextOf = (userId: string) => `two-factor:${userId}`;

/**
 * The account's secret, or null when it no longer opens (SECRETS_KEY changed): its codes then
 * fail like wrong ones, recovery codes still work, and an admin can reset the second factor.
 */
function openSecret(sealed: string, userId: string): string | null {
  try {
    return decryptSecret(sealed, { context: contextOf(userId) });
  } catch (error) {
    if (error instanceof SecretError) return null;
    throw error;
  }
}
const subjectOf = (actor: Actor) => ({ type: "user" as const, id: actor.id, departmentId: actor.departmentId });

/** The secret as people copy it by hand: groups of four letters and digits. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

export function otpauthUri(email: string, secret: string): string {
  return generateURI({ issuer: ISSUER, label: email, secret });
}

/** The QR code of an otpauth URI as SVG, drawn here: nothing is asked of another host or of the browser. */
export function qrSvg(uri: string): Promise<string> {
  // 208 px: large enough for a phone's camera, small enough for a 360 px screen.
  return QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 4, width: 208 });
}

export interface TwoFactorStatus {
  enabled: boolean;
  /** An enrolment waiting for its first code: its secret, to show again. */
  pending: { secret: string; uri: string } | null;
  recoveryCodesLeft: number;
}

export async function twoFactorStatus(db: DB, user: { id: string; email: string }): Promise<TwoFactorStatus> {
  const row = await db.selectFrom("two_factor").select(["secret", "enabled_at"]).where("user_id", "=", user.id).executeTakeFirst();
  const left = await db
    .selectFrom("recovery_code")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("user_id", "=", user.id)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  if (row && !row.enabled_at) {
    const secret = openSecret(row.secret, user.id);
    return { enabled: false, pending: secret ? { secret, uri: otpauthUri(user.email, secret) } : null, recoveryCodesLeft: 0 };
  }
  return { enabled: Boolean(row?.enabled_at), pending: null, recoveryCodesLeft: row ? left.n : 0 };
}

/**
 * Begins an enrolment: a new secret (160 bits), sealed with SECRETS_KEY, waiting for a first code.
 * A second start replaces an unconfirmed one; an account with an active second factor keeps it.
 */
export async function startEnrolment(db: DB, user: { id: string; email: string }): Promise<{ secret: string; uri: string } | null> {
  const secret = generateSecret();
  const sealed = encryptSecret(secret, { context: contextOf(user.id) });
  const row = await db
    .insertInto("two_factor")
    .values({ user_id: user.id, secret: sealed })
    .onConflict((oc) => oc.column("user_id").doUpdateSet({ secret: sealed, last_step: null }).where("two_factor.enabled_at", "is", null))
    .returning("user_id")
    .executeTakeFirst();
  return row ? { secret, uri: otpauthUri(user.email, secret) } : null;
}

/** Drops an enrolment still waiting for its first code (an active second factor stays). */
export async function cancelEnrolment(db: DB, user: { id: string }): Promise<boolean> {
  const gone = await db.deleteFrom("two_factor").where("user_id", "=", user.id).where("enabled_at", "is", null).executeTakeFirst();
  return gone.numDeletedRows > 0n;
}

/** The time step a valid, unused code belongs to; null otherwise. Never throws on what was typed. */
function acceptedStep(secret: string | null, code: string, lastStep: string | null): number | null {
  if (secret === null || !/^\d{6}$/.test(code)) return null;
  const result = verifySync({
    secret,
    token: code,
    epochTolerance: TOLERANCE_SECONDS,
    ...(lastStep === null ? {} : { afterTimeStep: Number(lastStep) }),
  });
  return result.valid && "timeStep" in result ? result.timeStep : null;
}

/** What people type: spaces and dashes dropped, lower case. */
function normalise(input: string): string {
  return input.replace(/[\s-]/g, "").toLowerCase();
}

// No 0/o, 1/i/l: codes are read off paper.
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
const RECOVERY_LENGTH = 12; // 31^12: 59 bits each

function recoveryHash(userId: string, code: string): string {
  // Salted by the account, so that one table of hashes cannot be searched for every account at once.
  return createHash("sha256").update(`${userId}:${normalise(code)}`).digest("hex");
}

function newRecoveryCode(): string {
  let code = "";
  for (let i = 0; i < RECOVERY_LENGTH; i++) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

/** Replaces the account's recovery codes by ten new ones, returned once (only their hashes are kept). */
async function replaceRecoveryCodes(trx: DB, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await trx.deleteFrom("recovery_code").where("user_id", "=", userId).execute();
  await trx
    .insertInto("recovery_code")
    .values(codes.map((code) => ({ user_id: userId, code_hash: recoveryHash(userId, code) })))
    .execute();
  return codes;
}

/**
 * Confirms a pending enrolment with a first code from the app: the second factor is then active,
 * and ten recovery codes are returned, to show once. Null when the code is wrong (or nothing is pending).
 */
export async function confirmEnrolment(db: DB, actor: Actor, code: string): Promise<string[] | null> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom("two_factor")
      .select(["secret", "last_step"])
      .where("user_id", "=", actor.id)
      .where("enabled_at", "is", null)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return null;
    const step = acceptedStep(openSecret(row.secret, actor.id), code.trim(), row.last_step);
    if (step === null) return null;
    await trx.updateTable("two_factor").set({ enabled_at: sql`now()`, last_step: step }).where("user_id", "=", actor.id).execute();
    const codes = await replaceRecoveryCodes(trx, actor.id);
    await audit(trx, actor, "two_factor_enabled", subjectOf(actor));
    return codes;
  });
}

export type SecondFactor = "totp" | "recovery_code";

/**
 * Checks a code from the app, or a recovery code, for an account with an active second factor,
 * and uses it up: the code's time step (and every earlier one) is refused from then on, and a
 * recovery code works once. Two requests racing with the same code: one wins (row lock).
 */
export async function useSecondFactor(db: DB, userId: string, input: string): Promise<SecondFactor | null> {
  const typed = normalise(input);
  if (typed.length === 0 || typed.length > 64) return null;
  return inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom("two_factor")
      .select(["secret", "last_step"])
      .where("user_id", "=", userId)
      .where("enabled_at", "is not", null)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return null;
    if (/^\d{6}$/.test(typed)) {
      const step = acceptedStep(openSecret(row.secret, userId), typed, row.last_step);
      if (step === null) return null;
      await trx.updateTable("two_factor").set({ last_step: step }).where("user_id", "=", userId).execute();
      return "totp";
    }
    const used = await trx
      .updateTable("recovery_code")
      .set({ used_at: sql`now()` })
      .where("user_id", "=", userId)
      .where("code_hash", "=", recoveryHash(userId, typed))
      .where("used_at", "is", null)
      .returning("user_id")
      .executeTakeFirst();
    return used ? "recovery_code" : null;
  });
}

/** Turns the second factor off after a code (or a recovery code) proves the person holds it. */
export async function disableTwoFactor(db: DB, actor: Actor, code: string): Promise<boolean> {
  if (!(await useSecondFactor(db, actor.id, code))) return false;
  await inTransaction(db, async (trx) => {
    await removeTwoFactor(trx, actor.id);
    await audit(trx, actor, "two_factor_disabled", subjectOf(actor));
  });
  return true;
}

/** Ten new recovery codes (the old ones stop working), returned once. Null without an active second factor. */
export async function regenerateRecoveryCodes(db: DB, actor: Actor): Promise<string[] | null> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom("two_factor").select("user_id").where("user_id", "=", actor.id).where("enabled_at", "is not", null).executeTakeFirst();
    if (!row) return null;
    const codes = await replaceRecoveryCodes(trx, actor.id);
    await audit(trx, actor, "recovery_codes_regenerated", subjectOf(actor));
    return codes;
  });
}

/**
 * An admin removes someone's second factor (a lost phone and no recovery code left): they sign in
 * with their password alone, and enrol again (at once, where the organisation requires it). Null:
 * the installation itself (`npm run relais -- two-factor:reset`), for an admin locked out alone.
 */
export async function resetTwoFactor(db: DB, actor: Actor | null, userId: string): Promise<boolean> {
  assertAdmin(actor);
  return inTransaction(db, async (trx) => {
    const user = await trx.selectFrom("app_user").select(["id", "department_id"]).where("id", "=", userId).executeTakeFirst();
    if (!user) return false;
    const had = await removeTwoFactor(trx, userId);
    if (had) await audit(trx, actor, "two_factor_reset", { type: "user", id: userId, departmentId: user.department_id });
    return had;
  });
}

/** Removes an account's authenticator, recovery codes and pending sign-ins (also for account closure). */
export async function removeTwoFactor(trx: DB, userId: string): Promise<boolean> {
  const removed = await trx.deleteFrom("two_factor").where("user_id", "=", userId).executeTakeFirst();
  await trx.deleteFrom("recovery_code").where("user_id", "=", userId).execute();
  await trx.deleteFrom("sign_in_challenge").where("user_id", "=", userId).execute();
  return Number(removed.numDeletedRows) > 0;
}

/* ---- Between the password and the code ---- */

export const CHALLENGE_COOKIE = "relais_2fa";

const digest = (token: string) => createHash("sha256").update(token).digest("hex");

/** After the right password of an account with a second factor: a token for the code page only. */
export async function createChallenge(db: DB, userId: string): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await inTransaction(db, async (trx) => {
    // One pending sign-in per account; expired ones of anybody go too.
    await trx.deleteFrom("sign_in_challenge").where((eb) => eb.or([eb("user_id", "=", userId), eb("expires_at", "<", sql<Date>`now()`)])).execute();
    await trx
      .insertInto("sign_in_challenge")
      .values({ token_hash: digest(token), user_id: userId, expires_at: sql<Date>`now() + make_interval(mins => ${CHALLENGE_MINUTES})` })
      .execute();
  });
  return token;
}

/** The account waiting for its code under this token, if the token is known and fresh. */
export async function challengeUser(db: DB, token: string | null): Promise<{ id: string; role: Actor["role"]; departmentId: number | null } | null> {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const row = await db
    .selectFrom("sign_in_challenge as c")
    .innerJoin("app_user as u", "u.id", "c.user_id")
    .select(["u.id", "u.role", "u.department_id"])
    .where("c.token_hash", "=", digest(token))
    .where("c.expires_at", ">", sql<Date>`now()`)
    .where("u.active", "=", true)
    .executeTakeFirst();
  return row ? { id: row.id, role: row.role, departmentId: row.department_id } : null;
}

export async function endChallenge(db: DB, token: string): Promise<void> {
  await db.deleteFrom("sign_in_challenge").where("token_hash", "=", digest(token)).execute();
}

/** The challenge token from the Cookie header. */
export function challengeToken(request: Request): string | null {
  for (const pair of (request.headers.get("Cookie") ?? "").split(";")) {
    const eq = pair.indexOf("=");
    if (eq !== -1 && pair.slice(0, eq).trim() === CHALLENGE_COOKIE) return pair.slice(eq + 1).trim();
  }
  return null;
}

/** Set-Cookie for the challenge (or its removal): sent to the sign-in pages only. */
export function challengeCookie(request: Request, token: string | null): string {
  const secure = new URL(request.url).protocol === "https:" ? "; Secure" : "";
  const value = token ?? "";
  const age = token ? CHALLENGE_MINUTES * 60 : 0;
  return `${CHALLENGE_COOKIE}=${value}; Path=/login; HttpOnly; SameSite=Lax; Max-Age=${age}${secure}`;
}
