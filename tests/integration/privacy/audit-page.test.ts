import { describe, expect, it } from "vitest";
import type { AuditAction } from "../../../db/schema";
import { db } from "~/db.server";
import { audit } from "~/privacy/audit.server";
import * as page from "~/routes/admin.audit";
import * as csv from "~/routes/admin.audit[.]csv";
import { context, get, makeDepartment, outcome, run, signedIn } from "../../factories";

const load = (path: string, cookie: string) => run(() => page.loader({ request: get(path, cookie), params: {}, context }));
const download = (path: string, cookie: string) => run(() => csv.loader({ request: get(path, cookie), params: {}, context }));

async function entry(at: string, action: AuditAction, subjectId: string, actor: { id: string; role: "admin" | "comms" | "agent" | "manager" } | null = null, details = {}) {
  await db()
    .insertInto("audit_entry")
    .values({ at, action, actor_id: actor?.id ?? null, actor_role: actor?.role ?? null, subject_type: "publication", subject_id: subjectId, details: JSON.stringify(details) })
    .execute();
}

describe("/admin/audit", () => {
  it("answers 403 to anyone but an admin, for the page and the export", async () => {
    for (const role of ["agent", "comms", "manager"] as const) {
      const someone = await signedIn(role);
      expect(((await load("/admin/audit", someone.cookie)) as Response).status, role).toBe(403);
      expect(((await download("/admin/audit.csv", someone.cookie)) as Response).status, role).toBe(403);
    }
    const admin = await signedIn("admin", null);
    expect(outcome(await load("/admin/audit", admin.cookie)).status).toBe(200);
  });

  it("filters by period (the organisation's days), action, actor and subject", async () => {
    const admin = await signedIn("admin", null);
    const comms = await signedIn("comms");
    const name = (await db().selectFrom("app_user").select("display_name").where("id", "=", comms.id).executeTakeFirstOrThrow()).display_name;
    // 23:30 UTC on 9 March is already 10 March in Paris.
    await entry("2026-03-09T22:30:00Z", "publication_created", "f-1", comms);
    await entry("2026-03-09T23:30:00Z", "publication_cancelled", "f-1", comms);
    await entry("2026-03-12T10:00:00Z", "publication_created", "f-2", admin);
    const ids = async (query: string) =>
      (outcome(await load(`/admin/audit?${query}`, admin.cookie)).body.entries as { action: string; subject_id: string }[])
        .filter((e) => e.subject_id.startsWith("f-"))
        .map((e) => `${e.action}:${e.subject_id}`);

    expect(await ids("from=2026-03-10&to=2026-03-10")).toEqual(["publication_cancelled:f-1"]);
    expect(await ids("from=2026-03-01&to=2026-03-31&action=publication_created")).toEqual(["publication_created:f-2", "publication_created:f-1"]);
    expect(await ids(`actor=${encodeURIComponent(name)}`)).toEqual(["publication_cancelled:f-1", "publication_created:f-1"]);
    expect(await ids(`actor=${encodeURIComponent(comms.email.toUpperCase())}`)).toHaveLength(2);
    expect(await ids("subjectType=publication&subjectId=f-2")).toEqual(["publication_created:f-2"]);
    expect(await ids("subjectType=channel&subjectId=f-2")).toEqual([]);
  });

  it("refuses a malformed filter with a 400 and the message beside the field", async () => {
    const admin = await signedIn("admin", null);
    const bad = outcome(await load("/admin/audit?from=2026-02-30&action=drop_table&to=2026-01-01", admin.cookie));
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toMatchObject({ from: "admin.audit.errors.date", action: "admin.audit.errors.action" });
    expect(bad.body.entries).toEqual([]);
    const period = outcome(await load("/admin/audit?from=2026-03-10&to=2026-03-01", admin.cookie));
    expect(period).toMatchObject({ status: 400, body: { errors: { to: "admin.audit.errors.period" } } });
    expect(((await download("/admin/audit.csv?action=nope", admin.cookie)) as Response).status).toBe(400);
  });

  it("pages by cursor through every entry once, newest first", async () => {
    const admin = await signedIn("admin", null);
    // 120 entries, several sharing the same instant: the cursor must still neither skip nor repeat.
    for (let i = 0; i < 120; i++) await entry(`2026-04-01T10:${String(Math.floor(i / 3) % 60).padStart(2, "0")}:00Z`, "publication_created", `p-${i}`);
    const seen: string[] = [];
    let path: string | null = "/admin/audit?from=2026-04-01&to=2026-04-01";
    let pages = 0;
    while (path) {
      const { status, body } = outcome(await load(path, admin.cookie));
      expect(status).toBe(200);
      seen.push(...body.entries.map((e: { subject_id: string }) => e.subject_id));
      path = body.nextHref;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    // Newest first: the last three minutes' entries open the first page.
    expect(seen.slice(0, 3).sort()).toEqual(["p-117", "p-118", "p-119"]);
  });
});

describe("/admin/audit.csv", () => {
  it("exports the filtered entries for a French spreadsheet: BOM, ;, CRLF, local dates, no formula", async () => {
    const admin = await signedIn("admin", null);
    const dept = await makeDepartment("Médiathèque");
    const agent = await signedIn("agent", dept);
    await db().updateTable("app_user").set({ display_name: '=HYPERLINK("http://evil.example";"clic")' }).where("id", "=", agent.id).execute();
    await audit(db(), { id: agent.id, role: "agent", departmentId: dept }, "sign_in", { type: "user", id: agent.id, departmentId: dept }, {}, { ip: "203.0.113.5" });
    await db().insertInto("audit_entry").values({ at: "2026-03-14T08:30:00Z", action: "channel_changed", actor_id: admin.id, actor_role: "admin", subject_type: "channel", subject_id: "7", details: JSON.stringify({ slug: "-piaf" }) }).execute();
    await entry("2026-03-20T08:30:00Z", "publication_created", "hors-periode");

    const response = (await download(`/admin/audit.csv?from=2026-03-13&to=2026-03-15`, admin.cookie)) as Response;
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toMatch(/^attachment; filename="journal-audit-\d{4}-\d\d-\d\d\.csv"$/);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString("utf8").slice(1);
    expect(text.endsWith("\r\n")).toBe(true);
    const lines = text.slice(0, -2).split("\r\n");
    expect(lines[0]).toBe("Date;Action;Qui;Rôle;Objet;Identifiant;Service;Détails;Adresse IP");
    // Only the entry of 14 March: the sign-in is today, the others before the 13th or on the 20th.
    expect(lines.slice(1)).toHaveLength(1);
    const name = (await db().selectFrom("app_user").select("display_name").where("id", "=", admin.id).executeTakeFirstOrThrow()).display_name;
    expect(lines[1]).toBe(`14/03/2026 09:30;Canal modifié;${name};Administration;Canal;7;;slug: -piaf;`);

    const all = Buffer.from(await ((await download(`/admin/audit.csv?action=sign_in`, admin.cookie)) as Response).arrayBuffer()).toString("utf8");
    const signIn = all.split("\r\n").find((l) => l.includes("203.0.113.5"))!;
    // The name a person chose cannot run as a formula: quoted (it holds ; and ") and prefixed.
    expect(signIn).toMatch(/^\d\d\/\d\d\/\d{4} \d\d:\d\d;Connexion;"'=HYPERLINK\(""http:\/\/evil\.example"";""clic""\)";Agent;Compte;[^;]+;Médiathèque;;203\.0\.113\.5$/);
  });
});
