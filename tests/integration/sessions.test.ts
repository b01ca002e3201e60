import { sql } from "kysely";
import { describe, expect, it, vi } from "vitest";
import { deviceOf } from "~/auth/device";
import { readSession } from "~/auth/session.server";
import { db, pool } from "~/db.server";
import { updateSettings } from "~/organisation/settings.server";
import { generateSecretsKey } from "~/publishing/secrets.server";
import * as confirmPassword from "~/routes/confirm-password";
import * as security from "~/routes/settings_.security";
import { context, get, makeDepartment, makeUser, outcome, post, run, signedIn, TEST_PASSWORD } from "../factories";

process.env.SECRETS_KEY ??= generateSecretsKey();

const idOf = (cookie: string) => cookie.split("=")[1];
const shift = (cookie: string, set: Record<string, unknown>) =>
  db().updateTable("user_session").set(set).where("id", "=", idOf(cookie)).execute();
const row = (cookie: string) => db().selectFrom("user_session").selectAll().where("id", "=", idOf(cookie)).executeTakeFirst();

describe("session timeouts from the organisation's settings", () => {
  it("end a session idle longer than the idle timeout, or older than the lifetime however used", async () => {
    const admin = await makeUser("admin", null);
    await updateSettings(db(), admin, { sessionIdleMinutes: 30, sessionLifetimeHours: 12 });

    const idle = await signedIn("agent");
    await shift(idle.cookie, { last_seen_at: sql`now() - interval '29 minutes'` });
    expect((await readSession(get("/", idle.cookie))).user?.id).toBe(idle.id);
    await shift(idle.cookie, { last_seen_at: sql`now() - interval '31 minutes'` });
    const ended = await readSession(get("/", idle.cookie));
    expect(ended.user).toBeNull();
    expect(ended.setCookie).toMatch(/^relais_session=;/);
    expect(await row(idle.cookie)).toBeUndefined();

    const old = await signedIn("agent");
    await shift(old.cookie, { created_at: sql`now() - interval '11 hours 50 minutes'` });
    expect((await readSession(get("/", old.cookie))).user?.id).toBe(old.id);
    await shift(old.cookie, { created_at: sql`now() - interval '12 hours 1 minute'`, last_seen_at: sql`now()` });
    expect((await readSession(get("/", old.cookie))).user).toBeNull();
    expect(await row(old.cookie)).toBeUndefined();
  });

  it("validate in one query, and write the last use at most once a minute", async () => {
    const user = await signedIn("agent");
    await shift(user.cookie, { last_seen_at: sql`now() - interval '30 seconds'` });
    const before = (await row(user.cookie))!.last_seen_at;
    const spy = vi.spyOn(pool(), "query");
    expect((await readSession(get("/", user.cookie))).user?.id).toBe(user.id);
    expect(spy).toHaveBeenCalledTimes(1);
    expect((await row(user.cookie))!.last_seen_at).toEqual(before);

    await shift(user.cookie, { last_seen_at: sql`now() - interval '2 minutes'` });
    spy.mockClear();
    expect((await readSession(get("/", user.cookie))).user?.id).toBe(user.id);
    expect(spy).toHaveBeenCalledTimes(2); // the read, and one write of the last use
    spy.mockRestore();
    const seen = (await row(user.cookie))!.last_seen_at;
    expect(Date.now() - seen.getTime()).toBeLessThan(5_000);
  });
});

describe("the device of a session", () => {
  it("keeps the browser's and the system's names only", async () => {
    const firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    expect(deviceOf(firefox)).toEqual({ browser: "Firefox", platform: "Windows" });
    expect(deviceOf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15")).toEqual({ browser: "Safari", platform: "macOS" });
    expect(deviceOf("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36")).toEqual({ browser: "Chrome", platform: "Android" });
    expect(deviceOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")).toEqual({ browser: "Edge", platform: "Windows" });
    expect(deviceOf("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")).toEqual({ browser: "Safari", platform: "iPhone" });
    expect(deviceOf("curl/8.5.0")).toEqual({ browser: null, platform: null });
    expect(deviceOf(null)).toEqual({ browser: null, platform: null });

    const user = await makeUser("agent", await makeDepartment(), { password: TEST_PASSWORD });
    const login = await import("~/routes/login");
    const request = post("/login", { email: user.email, password: TEST_PASSWORD });
    request.headers.set("User-Agent", firefox);
    const response = (await run(() => login.action({ request, params: {}, context }))) as Response;
    const stored = await row(response.headers.get("Set-Cookie")!.split(";")[0]);
    expect(stored).toMatchObject({ browser: "Firefox", platform: "Windows" });
    expect(JSON.stringify(stored)).not.toContain("133.0");
  });
});

describe("the list of one's sessions", () => {
  type Page = Awaited<ReturnType<typeof security.loader>>;
  const page = async (cookie: string) => (await run(() => security.loader({ request: get("/settings/security", cookie), params: {}, context }))) as Page;
  const act = (cookie: string, fields: Record<string, string>) => run(() => security.action({ request: post("/settings/security", fields, cookie), params: {}, context }));

  it("shows one's own open sessions, marks this one, and ends one or all the others", async () => {
    const { createSessionCookie } = await import("~/auth/session.server");
    const me = await signedIn("agent");
    const other = async (ua?: string) => {
      const request = new Request("http://relais.test/", { headers: ua ? { "User-Agent": ua } : {} });
      return (await createSessionCookie(me.id, request)).split(";")[0];
    };
    const phone = await other("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36");
    const laptop = await other("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0");
    const stale = await other();
    await shift(stale, { last_seen_at: sql`now() - interval '3 days'` });
    const someoneElse = await signedIn("agent");

    const list = (await page(me.cookie)).sessions;
    expect(list).toHaveLength(3); // the stale one is gone, someone else's is not listed
    expect(list.filter((s) => s.current)).toHaveLength(1);
    expect(list.map((s) => `${s.browser}/${s.platform}`).sort()).toEqual(["Chrome/Android", "Firefox/Linux", "null/null"]);
    expect(JSON.stringify(list)).not.toContain(idOf(phone)); // the handle is not the cookie's secret
    expect(await row(stale)).toBeUndefined();

    // Someone else's session cannot be ended from here.
    const theirs = (await page(someoneElse.cookie)).sessions[0].handle;
    expect(outcome(await act(me.cookie, { intent: "end-session", handle: theirs }))).toMatchObject({ status: 200, body: { ended: 0 } });
    expect(await row(someoneElse.cookie)).toBeDefined();
    expect(outcome(await act(me.cookie, { intent: "end-session", handle: "nope" })).status).toBe(400);

    const phoneHandle = list.find((s) => s.browser === "Chrome")!.handle;
    expect(outcome(await act(me.cookie, { intent: "end-session", handle: phoneHandle }))).toMatchObject({ status: 200, body: { ended: 1 } });
    expect((await readSession(get("/", phone))).user).toBeNull();
    expect((await readSession(get("/", laptop))).user?.id).toBe(me.id);

    expect(outcome(await act(me.cookie, { intent: "end-others" }))).toMatchObject({ status: 200, body: { ended: 1 } });
    expect((await readSession(get("/", laptop))).user).toBeNull();
    expect((await readSession(get("/", me.cookie))).user?.id).toBe(me.id);
    const audit = await db().selectFrom("audit_entry").select("details").where("action", "=", "sessions_ended").where("actor_id", "=", me.id).orderBy("id").execute();
    expect(audit.map((a) => a.details)).toEqual([
      { count: 1, which: "one" },
      { count: 1, which: "others" },
    ]);
  });
});

describe("re-authentication for sensitive actions", () => {
  it("sends to the password page when the last check is older than 15 minutes, and back to the page afterwards", async () => {
    const user = await makeUser("agent", await makeDepartment(), { password: TEST_PASSWORD });
    const { createSessionCookie } = await import("~/auth/session.server");
    const cookie = (await createSessionCookie(user.id, get("/"))).split(";")[0];
    await shift(cookie, { password_checked_at: sql`now() - interval '16 minutes'` });

    const refused = (await run(() => security.action({ request: post("/settings/security?index", { intent: "start" }, cookie), params: {}, context }))) as Response;
    expect(refused.status).toBe(302);
    expect(refused.headers.get("Location")).toBe("/confirm-password?redirectTo=%2Fsettings%2Fsecurity");
    expect(await db().selectFrom("two_factor").select("user_id").where("user_id", "=", user.id).execute()).toEqual([]);

    const confirm = (password: string, redirectTo = "/settings/security") =>
      run(() => confirmPassword.action({ request: post("/confirm-password", { password, redirectTo }, cookie), params: {}, context }));
    expect(outcome(await confirm("wrong password"))).toEqual({ status: 401, body: { errors: { password: "reauth.invalid" } } });
    expect(outcome(await confirm(""))).toMatchObject({ status: 400 });
    const back = (await confirm(TEST_PASSWORD)) as Response;
    expect(back.status).toBe(302);
    expect(back.headers.get("Location")).toBe("/settings/security");
    expect(Date.now() - (await row(cookie))!.password_checked_at.getTime()).toBeLessThan(5_000);
    // Only to a page of this site.
    expect(((await confirm(TEST_PASSWORD, "https://evil.example/")) as Response).headers.get("Location")).toBe("/");

    // The person sends the form again, and now it goes through.
    expect(outcome(await run(() => security.action({ request: post("/settings/security", { intent: "start" }, cookie), params: {}, context }))).status).toBe(200);
    expect(await db().selectFrom("two_factor").select("user_id").where("user_id", "=", user.id).execute()).toHaveLength(1);
    // Signed out, the confirmation page sends to sign in.
    const anonymous = (await run(() => confirmPassword.loader({ request: get("/confirm-password"), params: {}, context }))) as Response;
    expect(anonymous.headers.get("Location")).toBe("/login?redirectTo=%2Fconfirm-password");
  });
});

describe("the organisation's sign-in settings page", () => {
  it("saves the two-factor rule and the timeouts for an admin, refuses values out of range beside the field, and others", async () => {
    const page = await import("~/routes/admin.settings");
    const { getSettings } = await import("~/organisation/settings.server");
    const admin = await signedIn("admin", null);
    const comms = await signedIn("comms");
    const before = await getSettings(db());
    const send = (cookie: string, fields: Record<string, string>) =>
      run(() => page.action({ request: post("/admin/settings", { intent: "sign-in", ...fields }, cookie), params: {}, context }));

    expect(outcome(await send(admin.cookie, { sessionIdleMinutes: "4", sessionLifetimeHours: "abc" }))).toEqual({
      status: 400,
      body: { ok: false, errors: { sessionIdleMinutes: "orgSettings.errors.idle", sessionLifetimeHours: "orgSettings.errors.lifetime" } },
    });
    expect(outcome(await send(admin.cookie, { sessionIdleMinutes: "60", sessionLifetimeHours: "2161" })).status).toBe(400);
    expect(await getSettings(db())).toEqual(before);
    expect(outcome(await send(comms.cookie, { twoFactorRequired: "on", sessionIdleMinutes: "60", sessionLifetimeHours: "24" })).status).toBe(403);

    expect(outcome(await send(admin.cookie, { twoFactorRequired: "on", sessionIdleMinutes: "60", sessionLifetimeHours: "24" }))).toEqual({
      status: 200,
      body: { ok: true, intent: "sign-in" },
    });
    expect(await getSettings(db())).toMatchObject({ twoFactorRequired: true, sessionIdleMinutes: 60, sessionLifetimeHours: 24 });
    // Unchecked, the box turns the rule off. (The admin was sent to enrolment by the new rule: let them be enrolled.)
    await db().insertInto("two_factor").values({ user_id: admin.id, secret: "v1:x:y:z", enabled_at: new Date() }).execute();
    expect(outcome(await send(admin.cookie, { sessionIdleMinutes: "60", sessionLifetimeHours: "24" })).status).toBe(200);
    expect((await getSettings(db())).twoFactorRequired).toBe(false);
  });
});

describe("channel secrets ask for the password again", () => {
  it("when a secret is set or a webhook made with a check older than 15 minutes, not for other changes", async () => {
    const channels = await import("~/routes/publishing.channels._index");
    const channel = await import("~/routes/publishing.channels.$id");
    const comms = await signedIn("comms");
    const form = (fields: Record<string, string> = {}) => ({
      kind: "mastodon",
      name: "Framapiaf",
      slug: `framapiaf-${Math.random().toString(36).slice(2, 7)}`,
      instanceUrl: "https://framapiaf.example",
      accessToken: "jeton-secret-de-test-0123456789",
      weekday: "1",
      times: "18:30",
      ...fields,
    });
    const create = () => run(() => channels.action({ request: post("/publishing/channels", form(), comms.cookie), params: {}, context }));
    const created = outcome(await create());
    expect(created.status).toBe(200);
    const id = created.body.created as number;

    await shift(comms.cookie, { password_checked_at: sql`now() - interval '16 minutes'` });
    const count = async () => (await db().selectFrom("channel").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n;
    const before = await count();
    expect(((await create()) as Response).headers.get("Location")).toBe("/confirm-password?redirectTo=%2Fpublishing%2Fchannels");
    expect(await count()).toBe(before);

    const save = (fields: Record<string, string>) =>
      run(() => channel.action({ request: post(`/publishing/channels/${id}`, { ...form(fields), intent: "save" }, comms.cookie), params: { id: String(id) }, context }));
    expect(((await save({ accessToken: "un-autre-jeton-secret-9876543210" })) as Response).headers.get("Location")).toBe(`/confirm-password?redirectTo=%2Fpublishing%2Fchannels%2F${id}`);
    expect(outcome(await save({ accessToken: "", name: "Framapiaf bis" })).status).toBe(200);
    expect((await db().selectFrom("channel").select("name").where("id", "=", id).executeTakeFirstOrThrow()).name).toBe("Framapiaf bis");
  });
});

describe("the periodic prune", () => {
  it("deletes sessions past the timeouts and sign-in steps past their ten minutes, and keeps the others", async () => {
    const { pruneEndedSessions } = await import("~/auth/sessions.server");
    const { createChallenge } = await import("~/auth/two-factor.server");
    await updateSettings(db(), null, { sessionIdleMinutes: 60, sessionLifetimeHours: 24 });
    const live = await signedIn("agent");
    const idle = await signedIn("agent");
    const old = await signedIn("agent");
    await shift(live.cookie, { last_seen_at: sql`now() - interval '59 minutes'`, created_at: sql`now() - interval '23 hours'` });
    await shift(idle.cookie, { last_seen_at: sql`now() - interval '61 minutes'` });
    await shift(old.cookie, { created_at: sql`now() - interval '25 hours'` });
    await createChallenge(db(), live.id);
    await createChallenge(db(), idle.id);
    await db().updateTable("sign_in_challenge").set({ expires_at: sql`now() - interval '1 second'` }).where("user_id", "=", idle.id).execute();

    expect(await pruneEndedSessions(db())).toBeGreaterThanOrEqual(2);
    expect(await row(live.cookie)).toBeDefined();
    expect(await row(idle.cookie)).toBeUndefined();
    expect(await row(old.cookie)).toBeUndefined();
    const challenges = await db().selectFrom("sign_in_challenge").select("user_id").execute();
    expect(challenges.map((c) => c.user_id)).toEqual([live.id]);
  });
});
