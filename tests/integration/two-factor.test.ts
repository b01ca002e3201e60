import jsQR from "jsqr";
import { sql } from "kysely";
import { generateSync } from "otplib";
import sharp from "sharp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readSession } from "~/auth/session.server";
import { MAX_FAILURES } from "~/auth/throttle.server";
import { resetTwoFactor, useSecondFactor } from "~/auth/two-factor.server";
import { db } from "~/db.server";
import { updateSettings } from "~/organisation/settings.server";
import { encryptSecret, generateSecretsKey } from "~/publishing/secrets.server";
import * as root from "~/root";
import * as home from "~/routes/_index";
import * as login from "~/routes/login";
import * as loginCode from "~/routes/login_.code";
import * as security from "~/routes/settings_.security";
import { context, get, makeDepartment, makeUser, outcome, post, run, signedIn, TEST_PASSWORD } from "../factories";

process.env.SECRETS_KEY ??= generateSecretsKey();

type Page = Awaited<ReturnType<typeof security.loader>>;
const securityPage = async (cookie: string) => (await run(() => security.loader({ request: get("/settings/security", cookie), params: {}, context }))) as Page;
const securityAction = (cookie: string, fields: Record<string, string>) =>
  run(() => security.action({ request: post("/settings/security", fields, cookie), params: {}, context }));
const codeNow = (secret: string, offsetSteps = 0) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });

/** Enrols a signed-in person through the page, as they would: start, read the secret, confirm. */
async function enrol(cookie: string) {
  expect(outcome(await securityAction(cookie, { intent: "start" })).status).toBe(200);
  const page = await securityPage(cookie);
  const secret = page.pending!.secret.replaceAll(" ", "");
  const confirmed = outcome(await securityAction(cookie, { intent: "confirm", code: codeNow(secret) }));
  expect(confirmed.status).toBe(200);
  return { secret, codes: confirmed.body.codes as string[], page };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("TOTP codes", () => {
  it("match RFC 6238's SHA-1 test vectors (the last six of their eight digits), each step once", async () => {
    const user = await makeUser("agent", await makeDepartment());
    // The RFC's key "12345678901234567890" in base32.
    const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    await db()
      .insertInto("two_factor")
      .values({ user_id: user.id, secret: encryptSecret(secret, { context: `two-factor:${user.id}` }), enabled_at: new Date() })
      .execute();
    const vectors: [number, string][] = [
      [59, "94287082"],
      [1111111109, "07081804"],
      [1111111111, "14050471"],
      [1234567890, "89005924"],
      [2000000000, "69279037"],
    ];
    vi.useFakeTimers({ toFake: ["Date"] });
    for (const [time, eight] of vectors) {
      vi.setSystemTime(time * 1000);
      expect(await useSecondFactor(db(), user.id, "000000"), `${time} wrong code`).toBeNull();
      expect(await useSecondFactor(db(), user.id, eight.slice(2)), `${time}`).toBe("totp");
      expect(await useSecondFactor(db(), user.id, eight.slice(2)), `${time} replayed`).toBeNull();
    }
    const row = await db().selectFrom("two_factor").select("last_step").where("user_id", "=", user.id).executeTakeFirstOrThrow();
    expect(Number(row.last_step)).toBe(Math.floor(2000000000 / 30));
  });
});

describe("enrolment on the security page", () => {
  it("shows a QR code that decodes to the otpauth URI and the secret as text, and activates only with a right first code", async () => {
    const agent = await signedIn("agent");
    const before = await securityPage(agent.cookie);
    expect(before.enabled).toBe(false);
    expect(before.pending).toBeNull();

    expect(outcome(await securityAction(agent.cookie, { intent: "start" })).status).toBe(200);
    const page = await securityPage(agent.cookie);
    const secret = page.pending!.secret.replaceAll(" ", "");
    expect(page.pending!.secret).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/); // 160 bits, grouped by four
    expect(page.pending!.uri).toBe(`otpauth://totp/Relais:${encodeURIComponent(agent.email)}?secret=${secret}&issuer=Relais`);
    // The SVG as served, drawn to pixels and read back by a QR decoder.
    const { data, info } = await sharp(Buffer.from(page.pending!.qr)).resize(400).flatten({ background: "#fff" }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(page.pending!.qr).toMatch(/^<svg[^>]*>/);
    expect(page.pending!.qr).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(jsQR(new Uint8ClampedArray(data), info.width, info.height)?.data).toBe(page.pending!.uri);

    // Stored sealed: a copy of the database alone does not give the secret.
    const row = await db().selectFrom("two_factor").selectAll().where("user_id", "=", agent.id).executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^v1:/);
    expect(row.secret).not.toContain(secret);
    expect(row.enabled_at).toBeNull();

    const wrong = outcome(await securityAction(agent.cookie, { intent: "confirm", code: "123456" === codeNow(secret) ? "654321" : "123456" }));
    expect(wrong).toMatchObject({ status: 400, body: { errors: { code: "twoFactor.errors.wrongCode" } } });
    expect(outcome(await securityAction(agent.cookie, { intent: "confirm", code: "" })).status).toBe(400);
    expect((await securityPage(agent.cookie)).enabled).toBe(false);

    const confirmed = outcome(await securityAction(agent.cookie, { intent: "confirm", code: codeNow(secret) }));
    expect(confirmed.status).toBe(200);
    const codes = confirmed.body.codes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    const stored = await db().selectFrom("recovery_code").select("code_hash").where("user_id", "=", agent.id).execute();
    expect(stored).toHaveLength(10);
    for (const { code_hash } of stored) expect(codes.some((c) => code_hash.includes(c) || code_hash.includes(c.replaceAll("-", "")))).toBe(false);

    const after = await securityPage(agent.cookie);
    expect(after).toMatchObject({ enabled: true, pending: null, recoveryCodesLeft: 10 });
    const audit = await db().selectFrom("audit_entry").select(["actor_id", "subject_id"]).where("action", "=", "two_factor_enabled").execute();
    expect(audit).toEqual([{ actor_id: agent.id, subject_id: agent.id }]);
  });

  it("lets an unconfirmed setup be cancelled, and never an active second factor that way", async () => {
    const agent = await signedIn("agent");
    expect(outcome(await securityAction(agent.cookie, { intent: "start" })).status).toBe(200);
    expect((await securityPage(agent.cookie)).pending).not.toBeNull();
    expect(outcome(await securityAction(agent.cookie, { intent: "cancel" })).status).toBe(200);
    expect((await securityPage(agent.cookie)).pending).toBeNull();
    expect(await db().selectFrom("two_factor").select("user_id").where("user_id", "=", agent.id).execute()).toEqual([]);

    await enrol(agent.cookie);
    expect(outcome(await securityAction(agent.cookie, { intent: "cancel" })).status).toBe(200);
    const kept = await db().selectFrom("two_factor").select("enabled_at").where("user_id", "=", agent.id).executeTakeFirstOrThrow();
    expect(kept.enabled_at).not.toBeNull();
  });

  it("refuses a code used once, and any code of an older step, but takes the next step's code once", async () => {
    const agent = await signedIn("agent");
    const { secret } = await enrol(agent.cookie);
    // The confirming code's step is used: the same code, and the step before, are refused.
    expect(await useSecondFactor(db(), agent.id, codeNow(secret))).toBeNull();
    expect(await useSecondFactor(db(), agent.id, codeNow(secret, -1))).toBeNull();
    expect(await useSecondFactor(db(), agent.id, codeNow(secret, 1))).toBe("totp");
    expect(await useSecondFactor(db(), agent.id, codeNow(secret, 1))).toBeNull();
  });

  it("regenerates recovery codes (the old ones stop working) and turns off only with a code", async () => {
    const agent = await signedIn("agent");
    const { codes } = await enrol(agent.cookie);
    const again = outcome(await securityAction(agent.cookie, { intent: "regenerate" }));
    expect(again.status).toBe(200);
    const fresh = again.body.codes as string[];
    expect(fresh.filter((c) => codes.includes(c))).toEqual([]);
    expect(await useSecondFactor(db(), agent.id, codes[0])).toBeNull();

    expect(outcome(await securityAction(agent.cookie, { intent: "disable", code: "000000" })).status).toBe(400);
    expect((await securityPage(agent.cookie)).enabled).toBe(true);
    // A recovery code typed in capitals with spaces is the same code.
    const typed = fresh[0].toUpperCase().replaceAll("-", " ");
    expect(outcome(await securityAction(agent.cookie, { intent: "disable", code: typed })).status).toBe(200);
    expect((await securityPage(agent.cookie)).enabled).toBe(false);
    expect(await db().selectFrom("recovery_code").select("code_hash").where("user_id", "=", agent.id).execute()).toEqual([]);
    const actions = await db().selectFrom("audit_entry").select("action").where("actor_id", "=", agent.id).orderBy("id").execute();
    expect(actions.map((a) => a.action)).toEqual(["two_factor_enabled", "recovery_codes_regenerated", "two_factor_disabled"]);
  });
});

describe("signing in with a second factor", () => {
  const signInWithPassword = (email: string) =>
    run(() => login.action({ request: post("/login", { email, password: TEST_PASSWORD, redirectTo: "/my" }), params: {}, context })) as Promise<Response>;
  const sendCode = (challenge: string, code: string, ip = context.clientIp) =>
    run(() =>
      loginCode.action({ request: post("/login/code", { code, redirectTo: "/my" }, challenge), params: {}, context: { ...context, clientIp: ip } }),
    );

  async function enrolledUser() {
    const user = await makeUser("agent", await makeDepartment(), { password: TEST_PASSWORD });
    const { createSessionCookie } = await import("~/auth/session.server");
    const cookie = (await createSessionCookie(user.id, get("/"))).split(";")[0];
    const { secret, codes } = await enrol(cookie);
    await db().deleteFrom("user_session").where("user_id", "=", user.id).execute();
    return { ...user, secret, codes };
  }

  it("asks for the code after the password: no session until then, and the pending step opens nothing else", async () => {
    const user = await enrolledUser();
    const response = await signInWithPassword(user.email);
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/login/code?redirectTo=%2Fmy");
    const setCookie = response.headers.get("Set-Cookie")!;
    expect(setCookie).toMatch(/^relais_2fa=[A-Za-z0-9_-]{43}; Path=\/login; HttpOnly; SameSite=Lax; Max-Age=600/);
    expect(setCookie).not.toContain("relais_session");
    expect(await db().selectFrom("user_session").select("id").where("user_id", "=", user.id).execute()).toEqual([]);
    const challenge = setCookie.split(";")[0];
    // The half-signed-in cookie is no session: pages send it to the sign-in page.
    expect((await readSession(get("/", challenge))).user).toBeNull();
    const page = (await run(() => home.loader({ request: get("/", challenge), params: {}, context }))) as Response;
    expect(page.headers.get("Location")).toBe("/login");
    // The code page opens with it, and not without.
    expect(await run(() => loginCode.loader({ request: get("/login/code", challenge), params: {}, context }))).toBeNull();
    expect(((await run(() => loginCode.loader({ request: get("/login/code"), params: {}, context }))) as Response).headers.get("Location")).toBe("/login");
    expect(await db().selectFrom("audit_entry").select("action").where("subject_id", "=", user.id).where("action", "=", "sign_in").execute()).toEqual([]);

    expect(outcome(await sendCode(challenge, "")).status).toBe(400);
    expect(outcome(await sendCode(challenge, "not-a-code"))).toEqual({ status: 401, body: { errors: { code: "twoFactor.login.invalid" } } });
    const done = (await sendCode(challenge, codeNow(user.secret, 1))) as Response;
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe("/my");
    const cookies = done.headers.getSetCookie();
    expect(cookies.some((c) => /^relais_session=[a-z0-9]+;/.test(c))).toBe(true);
    expect(cookies.some((c) => c.startsWith("relais_2fa=;") && c.includes("Max-Age=0"))).toBe(true);
    const session = cookies.find((c) => c.startsWith("relais_session="))!.split(";")[0];
    expect((await readSession(get("/", session))).user?.id).toBe(user.id);
    // The challenge is used up.
    expect(outcome(await sendCode(challenge, codeNow(user.secret, -1)))).toMatchObject({ status: 401, body: { errors: { form: "twoFactor.login.expired" } } });
    const entries = await db().selectFrom("audit_entry").select(["action", "details"]).where("subject_id", "=", user.id).where("action", "in", ["sign_in", "sign_in_failed"]).orderBy("id").execute();
    expect(entries).toEqual([
      { action: "sign_in_failed", details: { reason: "wrong_code" } },
      { action: "sign_in", details: { second_factor: "totp" } },
    ]);
  });

  it("takes a recovery code once", async () => {
    const user = await enrolledUser();
    const first = (await signInWithPassword(user.email)).headers.get("Set-Cookie")!.split(";")[0];
    expect(outcome(await sendCode(first, user.codes[3])).status).toBe(302);
    const second = (await signInWithPassword(user.email)).headers.get("Set-Cookie")!.split(";")[0];
    expect(outcome(await sendCode(second, user.codes[3])).status).toBe(401);
    expect(outcome(await sendCode(second, user.codes[4])).status).toBe(302);
    expect((await securityPage((await signedInCookie(user.id)))).recoveryCodesLeft).toBe(8);
  });

  it("throttles codes like passwords: the 11th try in 15 minutes is refused, even a right one", async () => {
    const user = await enrolledUser();
    const challenge = (await signInWithPassword(user.email)).headers.get("Set-Cookie")!.split(";")[0];
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect(outcome(await sendCode(challenge, String(100000 + i), `203.0.113.${i + 1}`)).status).toBe(401);
    }
    const blocked = await sendCode(challenge, codeNow(user.secret, 1), "203.0.113.200");
    expect(outcome(blocked).status).toBe(429);
    // A right password does not reset the code counter.
    const again = (await signInWithPassword(user.email)).headers.get("Set-Cookie")!.split(";")[0];
    expect(outcome(await sendCode(again, codeNow(user.secret, 1), "203.0.113.201")).status).toBe(429);
    await db().updateTable("login_failure").set({ failed_at: sql`now() - interval '16 minutes'` }).execute();
    expect(outcome(await sendCode(again, codeNow(user.secret, 1), "203.0.113.201")).status).toBe(302);
  });
});

async function signedInCookie(userId: string) {
  const { createSessionCookie } = await import("~/auth/session.server");
  return (await createSessionCookie(userId, get("/"))).split(";")[0];
}

describe("the organisation's rule", () => {
  it("sends admin and comms without a second factor to enrolment, and nowhere else, until they have one", async () => {
    const admin = await makeUser("admin", null);
    await updateSettings(db(), admin, { twoFactorRequired: true });
    const comms = await signedIn("comms");
    const agent = await signedIn("agent");

    const blocked = (await run(() => home.loader({ request: get("/", comms.cookie), params: {}, context }))) as Response;
    expect(blocked.status).toBe(302);
    expect(blocked.headers.get("Location")).toBe("/settings/security");
    const review = await import("~/routes/review._index");
    expect(((await run(() => review.loader({ request: get("/review", comms.cookie), params: {}, context }))) as Response).headers.get("Location")).toBe("/settings/security");
    expect((await securityPage(comms.cookie)).required).toBe(true);
    // The shell offers no page while enrolling (the root loader tells the layout).
    const shell = async (cookie: string) => outcome(await run(() => root.loader({ request: get("/settings/security", cookie), params: {}, context }))).body.user;
    expect((await shell(comms.cookie)).enrolling).toBe(true);
    expect((await shell(agent.cookie)).enrolling).toBe(false);
    // An agent is not concerned.
    expect(await run(() => home.loader({ request: get("/", agent.cookie), params: {}, context }))).not.toBeInstanceOf(Response);

    await enrol(comms.cookie);
    expect(await run(() => home.loader({ request: get("/", comms.cookie), params: {}, context }))).not.toBeInstanceOf(Response);
    expect((await shell(comms.cookie)).enrolling).toBe(false);
    // Turning it off would send them straight back: refused.
    expect(outcome(await securityAction(comms.cookie, { intent: "disable", code: "000000" }))).toMatchObject({ status: 403, body: { errors: { form: "twoFactor.errors.required" } } });
  });

  it("lets an admin reset someone's second factor, with an audit entry; nobody else", async () => {
    const admin = await makeUser("admin", null);
    const comms = await signedIn("comms");
    await enrol(comms.cookie);
    await expect(resetTwoFactor(db(), comms, comms.id)).rejects.toMatchObject({ status: 403 });
    expect(await resetTwoFactor(db(), admin, comms.id)).toBe(true);
    expect(await db().selectFrom("two_factor").select("user_id").where("user_id", "=", comms.id).execute()).toEqual([]);
    expect(await db().selectFrom("recovery_code").select("user_id").where("user_id", "=", comms.id).execute()).toEqual([]);
    const entry = await db().selectFrom("audit_entry").select(["actor_id", "subject_id"]).where("action", "=", "two_factor_reset").executeTakeFirstOrThrow();
    expect(entry).toEqual({ actor_id: admin.id, subject_id: comms.id });
  });

  it("offers the reset on the people page, after a recent password check", async () => {
    const users = await import("~/routes/admin.users");
    await updateSettings(db(), null, { twoFactorRequired: false }); // an earlier test turned it on
    const admin = await signedIn("admin", null);
    const agent = await signedIn("agent");
    await enrol(agent.cookie);
    const listed = (await run(() => users.loader({ request: get("/admin/users", admin.cookie), params: {}, context }))) as any;
    expect(listed.users.find((u: { id: string }) => u.id === agent.id).two_factor).toBe(true);
    const reset = (cookie: string) => run(() => users.action({ request: post("/admin/users", { intent: "reset_two_factor", userId: agent.id }, cookie), params: {}, context }));
    expect(outcome(await reset(agent.cookie)).status).toBe(403);
    await db().updateTable("user_session").set({ password_checked_at: sql`now() - interval '20 minutes'` }).where("user_id", "=", admin.id).execute();
    expect(((await reset(admin.cookie)) as Response).headers.get("Location")).toBe("/confirm-password?redirectTo=%2Fadmin%2Fusers");
    expect((await securityPage(agent.cookie)).enabled).toBe(true);
    await db().updateTable("user_session").set({ password_checked_at: sql`now()` }).where("user_id", "=", admin.id).execute();
    expect(outcome(await reset(admin.cookie))).toEqual({ status: 200, body: { ok: true, message: "twoFactor.admin.done" } });
    expect((await securityPage(agent.cookie)).enabled).toBe(false);
    expect(outcome(await reset(admin.cookie)).status).toBe(404);
  });
});
