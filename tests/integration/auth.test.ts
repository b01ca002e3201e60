import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { readSession } from "~/auth/session.server";
import { MAX_FAILURES } from "~/auth/throttle.server";
import { db } from "~/db.server";
import { tFor } from "~/i18n/i18n";
import * as login from "~/routes/login";
import * as logout from "~/routes/logout";
import { context, get, makeDepartment, makeUser, outcome, post, run, TEST_PASSWORD } from "../factories";

async function attemptLogin(email: string, password: string, ip = "198.51.100.7") {
  return run(() => login.action({ request: post("/login", { email, password }), params: {}, context: { ...context, clientIp: ip } }));
}

describe("sign in", () => {
  it("opens a session for the right password and redirects to the requested page", async () => {
    const user = await makeUser("agent", await makeDepartment(), { password: TEST_PASSWORD });
    const request = post("/login", { email: user.email.toUpperCase(), password: TEST_PASSWORD, redirectTo: "/my" });
    const response = (await run(() => login.action({ request, params: {}, context }))) as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/my");
    const cookie = response.headers.get("Set-Cookie")!;
    expect(cookie).toMatch(/^relais_session=\w+/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).not.toContain("Secure"); // plain HTTP here
    const session = await readSession(get("/", cookie.split(";")[0]));
    expect(session.user?.id).toBe(user.id);
  });

  it("marks the cookie Secure under HTTPS and never redirects off-site", async () => {
    const user = await makeUser("agent", await makeDepartment(), { password: TEST_PASSWORD });
    const body = new FormData();
    body.set("email", user.email);
    body.set("password", TEST_PASSWORD);
    body.set("redirectTo", "//evil.example/phish");
    const request = new Request("https://relais.test/login", { method: "POST", body });
    const response = (await run(() => login.action({ request, params: {}, context }))) as Response;
    expect(response.headers.get("Set-Cookie")).toContain("Secure");
    expect(response.headers.get("Location")).toBe("/");
  });

  it("gives the same generic answer for an unknown e-mail and a wrong password", async () => {
    const user = await makeUser("agent", await makeDepartment(), { password: TEST_PASSWORD });
    const wrong = outcome(await attemptLogin(user.email, "not the password"));
    const unknown = outcome(await attemptLogin("nobody@example.org", "whatever"));
    expect(wrong).toEqual({ status: 401, body: { errors: { form: "login.invalid" } } });
    expect(unknown).toEqual(wrong);
    expect(tFor("fr")("login.invalid")).toBe("Adresse e-mail ou mot de passe incorrect.");
  });

  it("refuses a deactivated account like a wrong password", async () => {
    const user = await makeUser("agent", await makeDepartment(), { password: TEST_PASSWORD });
    await db().updateTable("app_user").set({ active: false }).where("id", "=", user.id).execute();
    expect(outcome(await attemptLogin(user.email, TEST_PASSWORD)).status).toBe(401);
  });

  it("answers 429 at the 11th failure in 15 minutes for an account, even with the right password", async () => {
    const user = await makeUser("agent", await makeDepartment(), { password: TEST_PASSWORD });
    for (let i = 0; i < MAX_FAILURES; i++) {
      // Different addresses: only the account counter reaches the limit.
      expect(outcome(await attemptLogin(user.email, `bad ${i}`, `203.0.113.${i + 1}`)).status).toBe(401);
    }
    const blocked = (await attemptLogin(user.email, TEST_PASSWORD, "203.0.113.200")) as any;
    const { status, body } = outcome(blocked);
    expect(status).toBe(429);
    expect(body.errors.form[0]).toBe("login.throttled");
    expect(tFor("fr")("login.throttled", { time: "12:30" })).toBe("Trop de tentatives. Réessayez à 12:30.");
    const retryAt = new Date(body.errors.form[1].time).getTime();
    expect(retryAt - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(retryAt - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect(Number(blocked.init.headers["Retry-After"])).toBeGreaterThan(800);
    // Once the failures age out of the window, the account opens again.
    await db().updateTable("login_failure").set({ failed_at: sql`now() - interval '16 minutes'` }).execute();
    expect(outcome(await attemptLogin(user.email, TEST_PASSWORD)).status).toBe(302);
  });

  it("throttles an address that tries many accounts", async () => {
    for (let i = 0; i < MAX_FAILURES; i++) {
      await attemptLogin(`guess${i}@example.org`, "x", "192.0.2.99");
    }
    expect(outcome(await attemptLogin("another@example.org", "x", "192.0.2.99")).status).toBe(429);
    expect(outcome(await attemptLogin("another@example.org", "x", "192.0.2.100")).status).toBe(401);
  });

  it("refuses an empty form with 400 and records nothing", async () => {
    const before = await db().selectFrom("login_failure").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    expect(outcome(await run(() => login.action({ request: post("/login", { email: "", password: "" }), params: {}, context })))).toEqual({
      status: 400,
      body: { errors: { email: "login.required", password: "login.required" } },
    });
    const after = await db().selectFrom("login_failure").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });
});

describe("sign out", () => {
  it("ends the session in the database", async () => {
    const user = await makeUser("agent", await makeDepartment(), { password: TEST_PASSWORD });
    const signin = (await attemptLogin(user.email, TEST_PASSWORD)) as Response;
    const cookie = signin.headers.get("Set-Cookie")!.split(";")[0];
    expect(await db().selectFrom("user_session").select("id").where("user_id", "=", user.id).execute()).toHaveLength(1);
    const response = (await run(() => logout.action({ request: post("/logout", {}, cookie), params: {}, context }))) as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get("Set-Cookie")).toMatch(/relais_session=;/);
    expect(await db().selectFrom("user_session").select("id").where("user_id", "=", user.id).execute()).toHaveLength(0);
    expect((await readSession(get("/", cookie))).user).toBeNull();
  });
});
