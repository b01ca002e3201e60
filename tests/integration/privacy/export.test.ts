import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { addComment, thank } from "~/contributions/comments.server";
import { db } from "~/db.server";
import { storage } from "~/photos/storage.server";
import { collectExportData, deleteExpiredExports, EXPORT_FORMAT_VERSION, requestExport } from "~/privacy/export.server";
import { createPublication } from "~/publishing/queue.server";
import * as exportPage from "~/routes/account.export";
import * as download from "~/routes/account.export_.$id";
import * as adminUsers from "~/routes/admin.users";
import { context, filesUnder, get, newDraft, outcome, post, queuedJobs, run, signedIn } from "../../factories";
import { readZip } from "../../zip";
import { channel, comms, publishable, runDueJobs } from "../publishing/fixtures";

const asActor = (u: { id: string; role: "agent" | "comms" | "manager" | "admin"; departmentId: number | null }) => ({ id: u.id, role: u.role, departmentId: u.departmentId });

async function askOwnExport(cookie: string): Promise<number> {
  const result = await run(() => exportPage.action({ request: post("/account/export", { intent: "request" }, cookie), params: {}, context }));
  expect((result as Response).status).toBe(302);
  const jobs = await queuedJobs<{ exportId: number }>("build_export");
  return jobs[jobs.length - 1].exportId;
}

async function downloaded(id: number, cookie: string): Promise<Response> {
  return (await run(() => download.loader({ request: get(`/account/export/${id}`, cookie), params: { id: String(id) }, context }))) as Response;
}

describe("Télécharger mes données", () => {
  it("builds a ZIP of data.json, README.txt and the photo masters, with progress, for the person alone", async () => {
    const mine = await publishable({ photos: 2 });
    const me = mine.author;
    const { actor: commsActor } = await comms();
    const other = await publishable({ photos: 0 });
    await addComment(db(), asActor(me), other.id, "Belle sortie !");
    await thank(db(), asActor(me), other.id);
    await thank(db(), asActor(other.author), mine.id);
    const ch = await channel(commsActor, { kind: "feed" });
    const publication = await createPublication(db(), commsActor, { contributionId: mine.id, channelId: ch.id });
    const draft = await newDraft(me.cookie, { title: "Mon brouillon" });

    const id = await askOwnExport(me.cookie);
    // Asking twice while one is under way gives the same one.
    expect(await askOwnExport(me.cookie)).toBe(id);
    expect(await queuedJobs("build_export")).toHaveLength(1);
    const pending = outcome(await run(() => exportPage.loader({ request: get("/account/export", me.cookie), params: {}, context })));
    expect(pending.body.inProgress).toBe(true);
    expect(pending.body.exports).toMatchObject([{ id, state: "pending" }]);

    await runDueJobs();
    const row = await db().selectFrom("data_export").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: "ready", photos_total: 2, photos_done: 2, user_id: me.id, requested_by: me.id });
    expect(row.expires_at!.getTime() - Date.now()).toBeGreaterThan(47 * 3_600_000);

    const response = await downloaded(id, me.cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/zip");
    expect(response.headers.get("Content-Disposition")).toMatch(/^attachment; filename="relais-donnees-\d{4}-\d{2}-\d{2}\.zip"$/);
    const zip = readZip(Buffer.from(await response.arrayBuffer()));
    expect([...zip.keys()].sort()).toEqual(["README.txt", "data.json", ...mine.photoIds.map((p) => `photos/${mine.id}-${p}.webp`)].sort());
    expect(zip.get("README.txt")!.toString("utf8")).toContain("Vos données dans Relais");

    const data = JSON.parse(zip.get("data.json")!.toString("utf8"));
    expect(data).toMatchObject({ format: "relais-export", version: EXPORT_FORMAT_VERSION, account: { id: me.id, email: me.email } });
    expect(data.account).not.toHaveProperty("password_hash");
    expect(data.contributions.map((c: { id: number }) => c.id).sort()).toEqual([mine.id, draft].sort());
    const exported = data.contributions.find((c: { id: number }) => c.id === mine.id);
    expect(exported.photos.map((p: { file: string }) => p.file)).toEqual(mine.photoIds.map((p) => `photos/${mine.id}-${p}.webp`));
    expect(exported.revisions.length).toBeGreaterThan(0);
    expect(data.comments).toMatchObject([{ contribution_id: other.id, body: "Belle sortie !" }]);
    expect(data.thanks.given).toMatchObject([{ contribution_id: other.id }]);
    expect(data.thanks.received).toMatchObject([{ contribution_id: mine.id }]);
    expect(data.notifications.some((n: { kind: string }) => n.kind === "thanked")).toBe(true);
    expect(data.publications).toMatchObject([{ id: publication.id, channel: expect.stringMatching(/^Canal /), state: "scheduled" }]);
    expect(data.audit_entries.some((a: { action: string }) => a.action === "data_exported")).toBe(true);
    for (const key of ["review_decisions", "consent_records", "sign_ins", "statistics"]) expect(data).toHaveProperty(key);

    // The photo files are the stored masters, byte for byte.
    const master = await db().selectFrom("photo").select("master_key").where("id", "=", mine.photoIds[0]).executeTakeFirstOrThrow();
    const chunks: Buffer[] = [];
    for await (const chunk of storage().createReadStream(master.master_key) as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(zip.get(`photos/${mine.id}-${mine.photoIds[0]}.webp`)!.equals(Buffer.concat(chunks))).toBe(true);

    const entry = await db().selectFrom("audit_entry").select(["actor_id", "details"]).where("action", "=", "data_exported").where("subject_id", "=", me.id).executeTakeFirstOrThrow();
    expect(entry).toEqual({ actor_id: me.id, details: { export_id: id, request: "own" } });

    // Nobody else downloads it, not even an admin; nobody else sees it listed.
    const colleague = await signedIn("agent", mine.departmentId);
    const admin = await signedIn("admin", null);
    for (const someone of [colleague, admin]) {
      expect((await downloaded(id, someone.cookie)).status).toBe(404);
      const list = outcome(await run(() => exportPage.loader({ request: get("/account/export", someone.cookie), params: {}, context })));
      expect(list.body.exports).toEqual([]);
    }
  });

  it("an agent cannot export someone else (404), nor reach the admin's data-access request (403)", async () => {
    const agent = await signedIn("agent");
    const other = await signedIn("agent");
    await expect(requestExport(db(), asActor(agent), other.id)).rejects.toMatchObject({ status: 404 });
    for (const role of ["agent", "comms", "manager"] as const) {
      const someone = await signedIn(role);
      const result = await run(() => adminUsers.action({ request: post("/admin/users", { intent: "export", userId: other.id }, someone.cookie), params: {}, context }));
      expect((result as Response).status).toBe(403);
    }
    expect(await db().selectFrom("data_export").select("id").where("user_id", "=", other.id).execute()).toEqual([]);
    expect(await queuedJobs("build_export")).toEqual([]);
  });

  it("an admin's data-access request is the admin's to download; the person cannot", async () => {
    const person = await publishable({ photos: 1 });
    const admin = await signedIn("admin", null);
    const result = await run(() => adminUsers.action({ request: post("/admin/users", { intent: "export", userId: person.author.id }, admin.cookie), params: {}, context }));
    expect((result as Response).headers.get("Location")).toBe("/account/export");
    await runDueJobs();
    const list = outcome(await run(() => exportPage.loader({ request: get("/account/export", admin.cookie), params: {}, context })));
    expect(list.body.exports).toMatchObject([{ user_id: person.author.id, state: "ready", photos_total: 1 }]);
    const id = list.body.exports[0].id as number;
    expect((await downloaded(id, admin.cookie)).status).toBe(200);
    expect((await downloaded(id, person.author.cookie)).status).toBe(404);
    const entry = await db().selectFrom("audit_entry").select(["actor_id", "details"]).where("action", "=", "data_exported").where("subject_id", "=", person.author.id).executeTakeFirstOrThrow();
    expect(entry).toEqual({ actor_id: admin.id, details: { export_id: id, request: "data_access" } });
    // In the person's own archive, that entry is there without the admin's address.
    expect((await db().selectFrom("audit_entry").select("ip").where("action", "=", "data_exported").where("subject_id", "=", person.author.id).executeTakeFirstOrThrow()).ip).toBe("192.0.2.1");
    const { data } = await collectExportData(db(), person.author.id);
    expect((data.audit_entries as { action: string; by_you: boolean; ip: string | null }[]).filter((a) => a.action === "data_exported")).toMatchObject([{ by_you: false, ip: null }]);
  });

  it("an expired export is no longer downloadable, and the cleaning job deletes its file and row", async () => {
    const me = await signedIn("agent");
    const id = await askOwnExport(me.cookie);
    await runDueJobs();
    const { file_key } = await db().selectFrom("data_export").select("file_key").where("id", "=", id).executeTakeFirstOrThrow();
    expect(await filesUnder()).toContain(file_key);
    await db().updateTable("data_export").set({ expires_at: sql<Date>`now() - interval '1 minute'` }).where("id", "=", id).execute();
    expect((await downloaded(id, me.cookie)).status).toBe(404);
    expect(await deleteExpiredExports(db())).toBe(1);
    expect(await filesUnder()).not.toContain(file_key);
    expect(await db().selectFrom("data_export").select("id").where("id", "=", id).execute()).toEqual([]);
  });

  it("asks for the password again when this session last checked it over 15 minutes ago; reloads itself while one is in progress", async () => {
    const me = await signedIn("agent");
    await db().updateTable("user_session").set({ password_checked_at: new Date(Date.now() - 16 * 60_000) }).where("user_id", "=", me.id).execute();
    const stale = await run(() => exportPage.action({ request: post("/account/export", { intent: "request" }, me.cookie), params: {}, context }));
    expect((stale as Response).headers.get("Location")).toBe(`/confirm-password?redirectTo=${encodeURIComponent("/account/export")}`);
    expect(await db().selectFrom("data_export").select("id").where("user_id", "=", me.id).execute()).toEqual([]);

    await db().updateTable("user_session").set({ password_checked_at: new Date() }).where("user_id", "=", me.id).execute();
    await askOwnExport(me.cookie);
    const page = outcome(await run(() => exportPage.loader({ request: get("/account/export", me.cookie), params: {}, context })));
    const meta = exportPage.meta({ data: page.body } as Parameters<typeof exportPage.meta>[0]);
    expect(meta).toContainEqual({ httpEquiv: "refresh", content: "2" });
  });

  it("a bad id or method answers 404 or 400, never a 500", async () => {
    const me = await signedIn("agent");
    expect(((await run(() => download.loader({ request: get("/account/export/abc", me.cookie), params: { id: "abc" }, context }))) as Response).status).toBe(404);
    expect(((await run(() => download.loader({ request: get("/account/export/999999", me.cookie), params: { id: "999999" }, context }))) as Response).status).toBe(404);
    const bad = await run(() => exportPage.action({ request: post("/account/export", { intent: "autre" }, me.cookie), params: {}, context }));
    expect((bad as Response).status).toBe(400);
  });
});
