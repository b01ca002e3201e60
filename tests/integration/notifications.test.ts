import { describe, expect, it, vi } from "vitest";
import { migrations } from "../../db/migrations/index";
import { createContribution } from "~/contributions/contributions.server";
import { db, pool } from "~/db.server";
import { listNotifications, notify } from "~/notifications/notifications.server";
import * as root from "~/root";
import * as list from "~/routes/notifications";
import * as open from "~/routes/notifications_.$id";
import { context, get, makeDepartment, outcome, post, richDoc, run, signedIn } from "../factories";

async function readAt(id: number) {
  const row = await db().selectFrom("notification").select("read_at").where("id", "=", id).executeTakeFirstOrThrow();
  return row.read_at;
}

/** Notifications of `userId`, newest first, as stored. */
async function stored(userId: string) {
  return db().selectFrom("notification").select(["id", "link", "contribution_id", "read_at"]).where("user_id", "=", userId).orderBy("id", "desc").execute();
}

describe("notifications link anywhere on the site", () => {
  it("stores the link it was given, with or without a contribution", async () => {
    const dept = await makeDepartment();
    const me = await signedIn("agent", dept);
    const author = { id: me.id, role: me.role, departmentId: dept };
    const contributionId = await createContribution(db(), author, {
      title: "Sujet",
      body: richDoc("Un texte."),
      tags: [],
      visibilityWish: "department",
      proposeExternal: false,
    });
    await db().transaction().execute(async (trx) => {
      await notify(trx, { userIds: [me.id], kind: "commented", actorId: null, title: "Sujet", link: `/contributions/${contributionId}`, contributionId });
      // Not about a contribution (later: an export, a publication).
      await notify(trx, { userIds: [me.id], kind: "rights_alert", actorId: null, title: "Votre export", link: "/settings" });
    });
    const [other, about] = await stored(me.id);
    expect(about).toMatchObject({ link: `/contributions/${contributionId}`, contribution_id: contributionId });
    expect(other).toMatchObject({ link: "/settings", contribution_id: null });
    expect((await listNotifications(db(), me.id)).map((n) => n.link)).toEqual(["/settings", `/contributions/${contributionId}`]);
  });

  it("refuses a link to another site, and the database refuses one too", async () => {
    const me = await signedIn("agent");
    for (const link of ["https://example.org/x", "//example.org/x", "/\\example.org"]) {
      await expect(db().transaction().execute((trx) => notify(trx, { userIds: [me.id], kind: "thanked", actorId: null, title: "T", link }))).rejects.toThrow(/hors du site/);
      await expect(
        db().insertInto("notification").values({ user_id: me.id, kind: "thanked", link, data: "{}" }).execute(),
      ).rejects.toThrow(/check constraint/);
    }
    expect(await stored(me.id)).toEqual([]);
  });

  it("migration 07 gives the notifications of contributions their link", async () => {
    const dept = await makeDepartment();
    const me = await signedIn("agent", dept);
    const contributionId = await createContribution(db(), { id: me.id, role: me.role, departmentId: dept }, {
      title: "Ancienne",
      body: richDoc("Un texte."),
      tags: [],
      visibilityWish: "department",
      proposeExternal: false,
    });
    const migration = migrations["2026_11_23_07_notification_link"];
    await migration.down!(db());
    try {
      await db().insertInto("notification").values([
        { user_id: me.id, kind: "approved", contribution_id: contributionId, data: "{}" },
        { user_id: me.id, kind: "approved", contribution_id: null, data: "{}" },
      ] as never).execute();
    } finally {
      await migration.up(db());
    }
    expect((await stored(me.id)).map((n) => n.link)).toEqual([null, `/contributions/${contributionId}`]);
  });
});

describe("opening and reading notifications", () => {
  async function twoNotifications() {
    const me = await signedIn("agent");
    await db().transaction().execute(async (trx) => {
      await notify(trx, { userIds: [me.id], kind: "thanked", actorId: null, title: "Première", link: "/my" });
      await notify(trx, { userIds: [me.id], kind: "thanked", actorId: null, title: "Seconde", link: null });
    });
    const [nowhere, toMy] = await stored(me.id);
    return { me, toMy, nowhere };
  }

  it("opening one marks it read and leads to its link (or back to the list when it has none)", async () => {
    const { me, toMy, nowhere } = await twoNotifications();
    const res = (await run(() => open.loader({ request: get(`/notifications/${toMy.id}`, me.cookie), params: { id: String(toMy.id) }, context }))) as Response;
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe("/my");
    expect(await readAt(toMy.id)).not.toBeNull();
    expect(await readAt(nowhere.id)).toBeNull();

    const back = (await run(() => open.loader({ request: get(`/notifications/${nowhere.id}`, me.cookie), params: { id: String(nowhere.id) }, context }))) as Response;
    expect(back.headers.get("Location")).toBe("/notifications");
    expect(await readAt(nowhere.id)).not.toBeNull();
  });

  it("someone else's notification, or a bad id, answers 404 and stays unread", async () => {
    const { toMy } = await twoNotifications();
    const stranger = await signedIn("comms");
    for (const id of [String(toMy.id), "abc", "-1", "1e400", "99999999"]) {
      const res = (await run(() => open.loader({ request: get(`/notifications/${id}`, stranger.cookie), params: { id }, context }))) as Response;
      expect(res.status, id).toBe(404);
    }
    expect(await readAt(toMy.id)).toBeNull();
    // Signed out: to the sign-in page, which comes back here.
    const anonymous = (await run(() => open.loader({ request: get(`/notifications/${toMy.id}`), params: { id: String(toMy.id) }, context }))) as Response;
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("Location")).toBe(`/login?redirectTo=${encodeURIComponent(`/notifications/${toMy.id}`)}`);
  });

  it("marks one read, or all of them, and refuses a bad request with 400 without touching anything", async () => {
    const { me, toMy, nowhere } = await twoNotifications();
    const other = await twoNotifications();

    const bad = outcome(await run(() => list.action({ request: post("/notifications", { intent: "read", id: "x" }, me.cookie), params: {}, context })));
    expect(bad.status).toBe(400);
    const unknown = outcome(await run(() => list.action({ request: post("/notifications", { intent: "everything" }, me.cookie), params: {}, context })));
    expect(unknown.status).toBe(400);
    expect((await stored(me.id)).every((n) => n.read_at === null)).toBe(true);

    // Another person's id marks nothing.
    await list.action({ request: post("/notifications", { intent: "read", id: String(other.toMy.id) }, me.cookie), params: {}, context });
    expect(await readAt(other.toMy.id)).toBeNull();

    await list.action({ request: post("/notifications", { intent: "read", id: String(toMy.id) }, me.cookie), params: {}, context });
    expect(await readAt(toMy.id)).not.toBeNull();
    expect(await readAt(nowhere.id)).toBeNull();

    await list.action({ request: post("/notifications", { intent: "readAll" }, me.cookie), params: {}, context });
    expect((await stored(me.id)).every((n) => n.read_at !== null)).toBe(true);
    expect((await stored(other.me.id)).every((n) => n.read_at === null)).toBe(true);
  });

  it("the layout's badge counts one's own unread notifications, read with the session in one query", async () => {
    const { me, toMy } = await twoNotifications();
    await twoNotifications(); // someone else's
    await list.action({ request: post("/notifications", { intent: "read", id: String(toMy.id) }, me.cookie), params: {}, context });
    const queries = vi.spyOn(pool(), "query");
    const connections = vi.spyOn(pool(), "connect");
    try {
      const { body } = outcome(await root.loader({ request: get("/my", me.cookie), params: {}, context }));
      expect(body.unread).toBe(1);
      // The session's own query and nothing else (pool.query takes its connection through connect,
      // as kysely does): the count was a second query on every page.
      expect(queries).toHaveBeenCalledTimes(1);
      expect(connections).toHaveBeenCalledTimes(1);
    } finally {
      queries.mockRestore();
      connections.mockRestore();
    }
    const { body: signedOut } = outcome(await root.loader({ request: get("/login"), params: {}, context }));
    expect(signedOut.unread).toBe(0);
  });
});
