import { describe, expect, it } from "vitest";
import type { AuditSubjectType } from "../../../db/schema";
import { submitContribution } from "~/contributions/contributions.server";
import { db } from "~/db.server";
import { setActive, updateUser } from "~/organisation/users.server";
import { withdrawRights } from "~/photos/rights.server";
import { createChannel, disableChannelByActor, enableChannel, updateChannel } from "~/publishing/channels.server";
import { markPublishedByHand } from "~/publishing/delivery.server";
import { cancelPublication, createPublication } from "~/publishing/queue.server";
import { decide } from "~/review/review.server";
import * as login from "~/routes/login";
import { context, makeDepartment, makeUser, newDraft, post, run, signedIn, TEST_PASSWORD } from "../../factories";
import { channel, comms, publishable } from "../publishing/fixtures";

const actorOf = (u: { id: string; role: "agent" | "comms" | "manager" | "admin"; departmentId: number | null }) => ({ id: u.id, role: u.role, departmentId: u.departmentId });

async function entriesAbout(type: AuditSubjectType, id: string | number) {
  return db()
    .selectFrom("audit_entry")
    .select(["action", "actor_id", "actor_role", "subject_type", "subject_id", "department_id", "details", "ip"])
    .where("subject_type", "=", type)
    .where("subject_id", "=", String(id))
    .orderBy("id")
    .execute();
}

async function attemptLogin(email: string, password: string, ip: string) {
  return run(() => login.action({ request: post("/login", { email, password }), params: {}, context: { ...context, clientIp: ip } }));
}

async function submittedBy(agent: { cookie: string; id: string; departmentId: number | null }) {
  const id = await newDraft(agent.cookie, { title: `Sortie ${Math.random()}` });
  await submitContribution(db(), actorOf({ ...agent, role: "agent" }), id);
  return db().selectFrom("contribution").select(["id", "version", "department_id"]).where("id", "=", id).executeTakeFirstOrThrow();
}

describe("sign-ins", () => {
  it("a sign-in and a failure each leave one entry with the account, the client's IP and never the password", async () => {
    const dept = await makeDepartment();
    const user = await makeUser("manager", dept, { password: TEST_PASSWORD });
    expect(((await attemptLogin(user.email, TEST_PASSWORD, "203.0.113.9")) as Response).status).toBe(302);
    expect(await entriesAbout("user", user.id)).toEqual([
      { action: "sign_in", actor_id: user.id, actor_role: "manager", subject_type: "user", subject_id: user.id, department_id: dept, details: {}, ip: "203.0.113.9" },
    ]);

    const wrong = "mauvais-mot-de-passe-42";
    expect(((await attemptLogin(user.email, wrong, "2001:db8::7")) as { init?: ResponseInit }).init?.status).toBe(401);
    const [, failure] = await entriesAbout("user", user.id);
    expect(failure).toEqual({
      action: "sign_in_failed", actor_id: null, actor_role: null, subject_type: "user", subject_id: user.id, department_id: dept,
      details: { reason: "wrong_password" }, ip: "2001:db8::7",
    });
    expect(await entriesAbout("user", user.id)).toHaveLength(2);

    // An unknown account: the entry says so, without what was typed (people type passwords there).
    const typed = `${wrong}@example.org`;
    await attemptLogin(typed, wrong, "198.51.100.3");
    const unknown = await db().selectFrom("audit_entry").selectAll().where("action", "=", "sign_in_failed").where("ip", "=", "198.51.100.3").execute();
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ subject_type: null, subject_id: null, actor_id: null, details: { reason: "unknown_account" } });

    const all = await db().selectFrom("audit_entry").select("details").execute();
    for (const { details } of all) {
      expect(JSON.stringify(details)).not.toContain(TEST_PASSWORD);
      expect(JSON.stringify(details)).not.toContain(wrong);
    }
  });
});

describe("accounts", () => {
  it("a change of role and of department leave one entry each; a deactivation one more; the same values again none", async () => {
    const admin = await signedIn("admin", null);
    const [from, to] = [await makeDepartment(), await makeDepartment()];
    const user = await makeUser("agent", from);
    await updateUser(db(), actorOf(admin), user.id, { role: "comms", departmentId: to });
    await updateUser(db(), actorOf(admin), user.id, { role: "comms", departmentId: to });
    await setActive(db(), actorOf(admin), user.id, false);
    const entries = await entriesAbout("user", user.id);
    expect(entries.map((e) => [e.action, e.actor_id, e.actor_role, e.department_id, e.details])).toEqual([
      ["user_role_changed", admin.id, "admin", to, { from: "agent", to: "comms" }],
      ["user_department_changed", admin.id, "admin", to, { from, to }],
      ["user_deactivated", admin.id, "admin", to, {}],
    ]);
  });

  it("a rolled-back change leaves no entry, nor does a refused one", async () => {
    const admin = await signedIn("admin", null);
    const user = await makeUser("agent", await makeDepartment());
    const rolledBack = await db()
      .transaction()
      .execute(async (trx) => {
        await updateUser(trx, actorOf(admin), user.id, { role: "manager", departmentId: null });
        throw new Error("rollback");
      })
      .catch((e: Error) => e.message);
    expect(rolledBack).toBe("rollback");
    const agent = await signedIn("agent");
    expect(((await run(() => updateUser(db(), actorOf(agent), user.id, { role: "admin", departmentId: null }))) as Response).status).toBe(403);
    expect(await entriesAbout("user", user.id)).toEqual([]);
    expect(await db().selectFrom("app_user").select("role").where("id", "=", user.id).executeTakeFirstOrThrow()).toEqual({ role: "agent" });
  });
});

describe("review decisions", () => {
  it("an approval, a request for changes and a rejection leave one entry each, by the reviewer, about the contribution", async () => {
    const reviewer = await signedIn("comms");
    const dept = await makeDepartment();
    const agent = await signedIn("agent", dept);
    const cases = [
      { d: { decision: "approve", visibility: "organisation", externalEligible: false }, action: "contribution_approved", details: { visibility: "organisation", externalEligible: false } },
      { d: { decision: "request_changes", message: "Ajoutez la date, merci" }, action: "contribution_changes_requested", details: {} },
      { d: { decision: "reject", message: "Hors sujet" }, action: "contribution_rejected", details: {} },
    ] as const;
    for (const { d, action, details } of cases) {
      const c = await submittedBy(agent);
      await decide(db(), actorOf(reviewer), c.id, { ...d, version: c.version } as Parameters<typeof decide>[3]);
      expect(await entriesAbout("contribution", c.id)).toEqual([
        { action, actor_id: reviewer.id, actor_role: "comms", subject_type: "contribution", subject_id: String(c.id), department_id: dept, details, ip: null },
      ]);
    }
  });

  it("a decision refused for a stale version leaves no entry", async () => {
    const reviewer = await signedIn("comms");
    const c = await submittedBy(await signedIn("agent"));
    await expect(decide(db(), actorOf(reviewer), c.id, { decision: "reject", message: "Non", version: c.version - 1 })).rejects.toMatchObject({ status: 409 });
    expect(await entriesAbout("contribution", c.id)).toEqual([]);
  });
});

describe("image rights", () => {
  it("a withdrawal leaves one entry about the photo", async () => {
    const { actor } = await comms();
    const c = await publishable();
    const [photoId] = c.photoIds;
    await db().updateTable("photo").set({ rights_status: "authorised", rights_scope: "external" }).where("id", "=", photoId).execute();
    await withdrawRights(db(), actor, c.id, photoId);
    expect(await entriesAbout("photo", photoId)).toEqual([
      { action: "photo_rights_withdrawn", actor_id: actor.id, actor_role: "comms", subject_type: "photo", subject_id: String(photoId), department_id: c.departmentId, details: { contribution: c.id }, ip: null },
    ]);
  });
});

describe("publishing", () => {
  it("channels: created, changed, and a secret changed by name only, never its value", async () => {
    const { actor } = await comms();
    const secret = "jeton-connu-7f3a9c-tres-secret";
    const made = await createChannel(db(), actor, { kind: "mastodon", name: "Piaf", slug: "piaf-audit", instanceUrl: "https://piaf.example", accessToken: secret });
    // Left empty: the secret is kept, so no "secret changed".
    await updateChannel(db(), actor, made.id, { kind: "mastodon", name: "Piaf 2", slug: "piaf-audit", instanceUrl: "https://piaf.example", accessToken: "" });
    await updateChannel(db(), actor, made.id, { kind: "mastodon", name: "Piaf 2", slug: "piaf-audit", instanceUrl: "https://piaf.example", accessToken: `${secret}-2` });
    const hook = await createChannel(db(), actor, { kind: "webhook", name: "Site", slug: "site-audit", url: "https://example.org/hook" });
    const renewed = await updateChannel(db(), actor, hook.id, { kind: "webhook", name: "Site", slug: "site-audit", url: "https://example.org/hook" }, { newWebhookSecret: true });

    const entries = await entriesAbout("channel", made.id);
    expect(entries.map((e) => [e.action, e.actor_id, e.details])).toEqual([
      ["channel_created", actor.id, { kind: "mastodon", slug: "piaf-audit" }],
      ["channel_changed", actor.id, { slug: "piaf-audit" }],
      ["channel_changed", actor.id, { slug: "piaf-audit" }],
      ["channel_secret_changed", actor.id, { fields: "accessToken" }],
    ]);
    expect((await entriesAbout("channel", hook.id)).map((e) => [e.action, e.details])).toEqual([
      ["channel_created", { kind: "webhook", slug: "site-audit" }],
      ["channel_changed", { slug: "site-audit" }],
      ["channel_secret_changed", { fields: "webhookSecret" }],
    ]);
    // Turned off and on by hand: a change each, with the reason (free text) left to the channel's page.
    await disableChannelByActor(db(), actor, made.id, "Compte suspendu");
    await enableChannel(db(), actor, made.id);
    expect((await entriesAbout("channel", made.id)).slice(4).map((e) => [e.action, e.actor_id, e.details])).toEqual([
      ["channel_changed", actor.id, { enabled: false }],
      ["channel_changed", actor.id, { enabled: true }],
    ]);
    const everything = JSON.stringify(await db().selectFrom("audit_entry").selectAll().execute());
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(hook.webhookSecret!);
    expect(everything).not.toContain(renewed.webhookSecret!);
  });

  it("publications: created, cancelled and published leave one entry each, about the publication", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "manual", name: "Instagram" });
    const c = await publishable();
    const first = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    await cancelPublication(db(), actor, first.id);
    await cancelPublication(db(), actor, first.id); // already cancelled: nothing happens, nothing recorded
    const second = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    await markPublishedByHand(db(), actor, second.id, "https://www.instagram.com/p/ABC123/");
    const about = { channel: ch.id, contribution: c.id };
    expect((await entriesAbout("publication", first.id)).map((e) => [e.action, e.actor_id, e.actor_role, e.department_id, e.details])).toEqual([
      ["publication_created", actor.id, "comms", c.departmentId, about],
      ["publication_cancelled", actor.id, "comms", c.departmentId, about],
    ]);
    expect((await entriesAbout("publication", second.id)).map((e) => [e.action, e.actor_id, e.department_id, e.details])).toEqual([
      ["publication_created", actor.id, c.departmentId, about],
      ["publication_published", actor.id, c.departmentId, about],
    ]);
  });
});

describe("audit()", () => {
  it("refuses a detail named like a secret, storing nothing", async () => {
    const { audit } = await import("~/privacy/audit.server");
    const before = await db().selectFrom("audit_entry").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    for (const key of ["password", "accessToken", "webhookSecret", "password_hash"]) {
      await expect(audit(db(), null, "channel_changed", { type: "channel", id: 1 }, { [key]: "valeur" })).rejects.toThrow(/looks like a secret/);
    }
    const after = await db().selectFrom("audit_entry").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});
