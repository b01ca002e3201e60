import { describe, expect, it } from "vitest";
import { createInvitation } from "~/auth/invitations.server";
import { db } from "~/db.server";
import { externalBlock } from "~/photos/rights";
import * as users from "~/routes/admin.users";
import * as feed from "~/routes/_index";
import * as invitation from "~/routes/invitation.$token";
import * as contributionPage from "~/routes/contributions.$id._index";
import * as newPage from "~/routes/contributions.new";
import * as reviewPage from "~/routes/review.$id";
import * as inbox from "~/routes/review._index";
import * as searchPage from "~/routes/search";
import { approveDirectly, context, fileBlob, filesUnder, get, makeDepartment, newDraft, outcome, post, richDoc, run, signedIn } from "../factories";
import { unpack } from "~/utils/packed";

// Holes found in review, each closed and kept closed.
describe("hardening", () => {
  it("a deactivated person cannot come back through an invitation link", async () => {
    const admin = await signedIn("admin", null);
    const agent = await signedIn("agent");
    const link = await createInvitation(db(), admin, agent.id);
    const token = link.split("/").pop()!;
    await run(() => users.action({ request: post("/admin/users", { intent: "deactivate", userId: agent.id }, admin.cookie), params: {}, context }));
    expect(outcome(await run(() => invitation.loader({ request: get("/"), params: { token }, context }))).body).toEqual({ state: "unknown" });
    const accept = post(`/invitation/${token}`, { password: "un long mot de passe", confirm: "un long mot de passe" });
    expect(outcome(await run(() => invitation.action({ request: accept, params: { token }, context }))).status).toBe(410);
    expect((await db().selectFrom("app_user").select("active").where("id", "=", agent.id).executeTakeFirstOrThrow()).active).toBe(false);
  });

  it("comms cannot withdraw rights on a photo of another contribution, or of a draft", async () => {
    const comms = await signedIn("comms");
    const author = await signedIn("agent");
    const draft = await newDraft(author.cookie, {}, [[await fileBlob("Canon_40D.jpg"), "a.jpg"]]);
    const photo = await db().selectFrom("photo").select("id").where("contribution_id", "=", draft).executeTakeFirstOrThrow();
    await db().updateTable("photo").set({ rights_status: "authorised", rights_scope: "external" }).where("id", "=", photo.id).execute();
    const other = await newDraft(author.cookie);
    await db().updateTable("contribution").set({ status: "submitted" }).where("id", "=", other).execute();
    for (const [id, photoId] of [[other, String(photo.id)], [draft, String(photo.id)], [other, "abc"]] as const) {
      const result = await run(() => reviewPage.action({ request: post(`/review/${id}`, { intent: "withdrawRights", photoId }, comms.cookie), params: { id: String(id) }, context }));
      expect(outcome(result).status).toBe(404);
    }
    expect((await db().selectFrom("photo").select("rights_withdrawn_at").where("id", "=", photo.id).executeTakeFirstOrThrow()).rights_withdrawn_at).toBeNull();
  });

  it("a withdrawal stands even if the status is changed afterwards", () => {
    const base = { id: 1, position: 0, alt_text: "x", rights_scope: null, rights_expires_on: null, rights_withdrawn_at: new Date() };
    expect(externalBlock({ ...base, rights_status: "no_person" }, "2026-11-21")).toBe("withdrawn");
    expect(externalBlock({ ...base, rights_status: "authorised", rights_scope: "external" }, "2026-11-21")).toBe("withdrawn");
  });

  it("answers malformed cursors, dates and encodings with a page or a 4xx, never a 500", async () => {
    const agent = await signedIn("agent", await makeDepartment());
    const id = await newDraft(agent.cookie);
    await approveDirectly(id, "organisation");
    const bad = Buffer.from("2024-13-45T25:00:00.000000Z|1").toString("base64url");
    const page = outcome(await run(() => feed.loader({ request: get(`/?scope=organisation&cursor=${bad}`, agent.cookie), params: {}, context })));
    expect(page.status).toBe(200);
    expect(unpack<{ id: number }[]>(page.body.items).map((i) => i.id)).toContain(id);
    const search = outcome(await run(() => searchPage.loader({ request: get("/search?q=texte&from=0000-01-01", agent.cookie), params: {}, context })));
    expect(search.status).toBe(400);
    expect(search.body.errors).toEqual({ from: "search.errors.date" });
    const before = await filesUnder();
    const ancient = await run(() =>
      newPage.action({ request: post("/contributions/new", { title: "T", body: '{"type":"doc"}', eventDate: "0000-01-01", intent: "save" }, agent.cookie), params: {}, context }),
    );
    expect(outcome(ancient).status).toBe(400);
    const urlencoded = new Request("http://relais.test/contributions/new", {
      method: "POST",
      body: "title=x",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: agent.cookie, Origin: "http://relais.test" },
    });
    const refused = outcome(await run(() => newPage.action({ request: urlencoded, params: {}, context })));
    expect(refused.status).toBe(415);
    expect(await filesUnder()).toEqual(before);
  });

  it("answers a body that is not a form with 415, and stores nothing", async () => {
    const agent = await signedIn("agent", await makeDepartment());
    const id = await newDraft(agent.cookie);
    await approveDirectly(id, "organisation");
    const params = { id: String(id) };
    for (const [type, body] of [
      ["application/json", JSON.stringify({ intent: "comment", body: "Bonjour" })],
      ["text/plain", "intent=comment&body=Bonjour"],
      [null, "intent=comment&body=Bonjour"],
    ] as const) {
      const headers: Record<string, string> = { Cookie: agent.cookie, Origin: "http://relais.test" };
      if (type) headers["Content-Type"] = type;
      const request = new Request(`http://relais.test/contributions/${id}`, { method: "POST", body, headers });
      if (!type) request.headers.delete("Content-Type"); // a string body gets text/plain by default
      expect(outcome(await run(() => contributionPage.action({ request, params, context }))).status).toBe(415);
    }
    const broken = new Request(`http://relais.test/contributions/${id}`, {
      method: "POST",
      body: "--x\r\nContent-Disposition: form-data; name=\"intent\"\r\n\r\ncomm",
      headers: { "Content-Type": "multipart/form-data; boundary=x", Cookie: agent.cookie, Origin: "http://relais.test" },
    });
    expect(outcome(await run(() => contributionPage.action({ request: broken, params, context }))).status).toBe(400);
    expect(await db().selectFrom("comment").select("id").where("contribution_id", "=", id).execute()).toEqual([]);
  });

  it("drops NUL characters (which PostgreSQL refuses) from forms, rich text and searches", async () => {
    const agent = await signedIn("agent", await makeDepartment());
    const id = await newDraft(agent.cookie, { title: "Un\0 titre", place: "Salle\0 B", body: richDoc("Un\0 texte.") });
    const row = await db().selectFrom("contribution").select(["title", "place", "body_text", "body_json"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect([row.title, row.place, row.body_text]).toEqual(["Un titre", "Salle B", "Un texte."]);
    expect(JSON.stringify(row.body_json)).not.toContain("\\u0000");
    await approveDirectly(id, "organisation");
    const commented = await run(() =>
      contributionPage.action({ request: post(`/contributions/${id}`, { intent: "comment", body: "Bravo\0 !" }, agent.cookie), params: { id: String(id) }, context }),
    );
    expect(outcome(commented).status).toBe(200);
    const comments = await db().selectFrom("comment").select("body").where("contribution_id", "=", id).execute();
    expect(comments.map((c) => c.body)).toEqual(["Bravo !"]);
    const search = outcome(await run(() => searchPage.loader({ request: get("/search?q=%00titre%00", agent.cookie), params: {}, context })));
    expect(search.status).toBe(200);
    expect(unpack<{ id: number }[]>(search.body.items).map((i) => i.id)).toContain(id);
  });

  it("answers a form body over 8 MB with 413 without reading it all, and stores nothing", async () => {
    const agent = await signedIn("agent", await makeDepartment());
    const id = await newDraft(agent.cookie);
    await approveDirectly(id, "organisation");
    const huge = `intent=comment&body=${"x".repeat(9 * 1024 * 1024)}`;
    for (const withLength of [true, false]) {
      const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded", Cookie: agent.cookie, Origin: "http://relais.test" };
      if (withLength) headers["Content-Length"] = String(huge.length);
      // Without a length, the body arrives as a stream, as a chunked upload would.
      const body = withLength ? huge : new Blob([huge]).stream();
      const request = new Request(`http://relais.test/contributions/${id}`, { method: "POST", body, headers, duplex: "half" } as RequestInit);
      expect(outcome(await run(() => contributionPage.action({ request, params: { id: String(id) }, context }))).status).toBe(413);
    }
    expect(await db().selectFrom("comment").select("id").where("contribution_id", "=", id).execute()).toEqual([]);
  });

  it("a review action on someone's draft answers like a missing id: 404, nothing revealed, nothing changed", async () => {
    const comms = await signedIn("comms");
    const author = await signedIn("agent");
    const draft = await newDraft(author.cookie);
    const missing = draft + 100_000;
    const { version } = await db().selectFrom("contribution").select("version").where("id", "=", draft).executeTakeFirstOrThrow();
    const answer = async (id: number, fields: Record<string, string>) => {
      const result = await run(() => reviewPage.action({ request: post(`/review/${id}`, fields, comms.cookie), params: { id: String(id) }, context }));
      return result instanceof Response ? { status: result.status, body: await result.text() } : outcome(result);
    };
    const attempts: Record<string, string>[] = [
      { intent: "approve", version: String(version), visibility: "organisation" },
      { intent: "approve", version: "0", visibility: "organisation" },
      { intent: "request_changes", version: String(version), message: "À revoir" },
      { intent: "reject", version: String(version + 1), message: "Non" },
      { intent: "edit", version: String(version), title: "Autre titre", body: richDoc("Autre texte.") },
    ];
    for (const fields of attempts) {
      const onDraft = await answer(draft, fields);
      expect(onDraft, fields.intent).toEqual(await answer(missing, fields));
      expect(onDraft.status, fields.intent).toBe(404);
    }
    const row = await db().selectFrom("contribution").select(["status", "title", "version"]).where("id", "=", draft).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: "draft", title: "Une contribution", version });
  });

  it("review inbox and people search: a malformed or NUL-laden filter is a 400 or a page, never a 500", async () => {
    const comms = await signedIn("comms");
    const admin = await signedIn("admin", null);
    const nul = outcome(await run(() => inbox.loader({ request: get("/review?tag=%00f%C3%AAte", comms.cookie), params: {}, context })));
    expect(nul.status).toBe(200);
    expect(nul.body.filters.tag).toBe("fête");
    const bad = outcome(await run(() => inbox.loader({ request: get("/review?department=abc", comms.cookie), params: {}, context })));
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual({ department: "search.errors.department" });
    expect(unpack(bad.body.items)).toEqual([]);
    const people = outcome(await run(() => users.loader({ request: get("/admin/users?q=%00admin", admin.cookie), params: {}, context })));
    expect(people.status).toBe(200);
    expect(people.body.q).toBe("admin");
  });
});
