import fs from "node:fs/promises";
import { runOnce, type JobHelpers } from "graphile-worker";
import { sql } from "kysely";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../db/embedded";
import { quietLogger } from "../../db/migrate";
import { createContribution, submitContribution } from "~/contributions/contributions.server";
import { db, pool } from "~/db.server";
import { setDatabaseUrl } from "~/env.server";
import { taskList } from "~/jobs/tasks.server";
import { ingestPhotos } from "~/photos/photos.server";
import { flagExpiredRights } from "~/photos/rights.server";
import { decide } from "~/review/review.server";
import * as reviewPage from "~/routes/review.$id";
import * as inbox from "~/routes/review._index";
import * as contributionPage from "~/routes/contributions.$id._index";
import { context, get, makeDepartment, outcome, post, run, signedIn } from "../factories";

import { SAMPLE_PHOTOS as PHOTOS } from "../fixtures/photos";
import { expectConsoleError } from "../setup/console-errors";
import { todayIn } from "~/utils/dates";
import { serverI18n } from "~/i18n/i18n";
import { unpack } from "~/utils/packed";

/** A review inbox row, as the browser unpacks it. */
type InboxRow = { id: number; waiting_hours: number };
const body = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Un compte rendu du terrain." }] }] });

// A real SMTP server in the test process; the app sends through nodemailer via the job queue.
const received: { to: string[]; raw: string }[] = [];
let smtp: SMTPServer;
/** While set, the server refuses every message (a mail server that is down for a moment). */
let refuse = false;
beforeAll(async () => {
  const port = await freePort();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    disableReverseLookup: true, // no DNS here: a reverse lookup would stall every session
    onData(stream, session, callback) {
      if (refuse) {
        stream.resume();
        stream.on("end", () => callback(Object.assign(new Error("Service temporairement indisponible"), { responseCode: 451 })));
        return;
      }
      let raw = "";
      stream.on("data", (c) => (raw += c));
      stream.on("end", () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(port, "127.0.0.1", resolve));
  process.env.SMTP_HOST = "127.0.0.1";
  process.env.SMTP_PORT = String(port);
  process.env.SMTP_SECURE = "false";
  setDatabaseUrl(process.env.DATABASE_URL!); // re-read the environment with SMTP set
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

/** A header of a raw message, with RFC 2047 encoded words (=?UTF-8?Q?…?= / ?B?) decoded. */
function decodeHeader(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, " ");
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)) ?? "";
  return line
    .slice(name.length + 1)
    .trim()
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
      enc.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8"),
    );
}

async function copyPhoto(name: string): Promise<{ path: string; size: number }> {
  const { tmpDir } = await import("~/photos/storage.server");
  await fs.mkdir(tmpDir(), { recursive: true });
  const path = `${tmpDir()}/${Math.random().toString(36).slice(2)}`;
  await fs.copyFile(`${PHOTOS}/${name}`, path);
  return { path, size: (await fs.stat(path)).size };
}

/** A submitted contribution of a fresh agent, with one photo whose details are set as given. */
async function submitted(photo: Partial<{ alt_text: string; rights_status: string; rights_scope: string | null; rights_expires_on: string | null }> | null = {}) {
  const dept = await makeDepartment();
  const agent = await signedIn("agent", dept);
  const photos = photo ? await ingestPhotos(db(), [await copyPhoto("Canon_40D.jpg")]) : [];
  const id = await createContribution(
    db(),
    agent,
    { title: `Sortie ${Math.random()}`, body, tags: ["sortie"], visibilityWish: "organisation", proposeExternal: true },
    photos,
  );
  if (photo) {
    await db()
      .updateTable("photo")
      .set({ alt_text: "Un groupe devant la médiathèque", rights_status: "no_person", ...(photo as object) })
      .where("contribution_id", "=", id)
      .execute();
  }
  await submitContribution(db(), agent, id);
  const row = await db().selectFrom("contribution").select("version").where("id", "=", id).executeTakeFirstOrThrow();
  return { id, agent, dept, version: row.version };
}

const decideVia = (cookie: string, id: number, fields: Record<string, string>) =>
  run(() => reviewPage.action({ request: post(`/review/${id}`, fields, cookie), params: { id: String(id) }, context }));

const statusOf = async (id: number) =>
  db().selectFrom("contribution").select(["status", "visibility", "external_eligible", "version"]).where("id", "=", id).executeTakeFirstOrThrow();

describe("review inbox and permissions", () => {
  it("lists submitted contributions oldest first with their waiting time, filtered by department and tag", async () => {
    const comms = await signedIn("comms");
    const a = await submitted(null);
    const b = await submitted(null);
    await db().updateTable("contribution").set({ submitted_at: sql`now() - interval '3 days'` }).where("id", "=", b.id).execute();
    const { body: all } = outcome(await run(() => inbox.loader({ request: get("/review", comms.cookie), params: {}, context })));
    const ids = unpack<InboxRow[]>(all.items).map((i) => i.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    expect(unpack<InboxRow[]>(all.items).find((i) => i.id === b.id)!.waiting_hours).toBeGreaterThanOrEqual(72);
    const { body: filtered } = outcome(await run(() => inbox.loader({ request: get(`/review?department=${a.dept}&tag=sortie`, comms.cookie), params: {}, context })));
    expect(unpack<InboxRow[]>(filtered.items).map((i) => i.id)).toEqual([a.id]);
  });

  it("counts what waits up to 1,000, then says more than 1,000", async () => {
    const comms = await signedIn("comms");
    const dept = await makeDepartment();
    const agent = await signedIn("agent", dept);
    const many = (n: number) =>
      sql`INSERT INTO contribution (author_id, department_id, title, body_json, body_html, body_text, status, submitted_at)
          SELECT ${agent.id}, ${dept}, 'Lot ' || i, ${body}::jsonb, '', '', 'submitted', now() - make_interval(mins => i)
          FROM generate_series(1, ${n}) AS i`.execute(db());
    const load = async () => outcome(await run(() => inbox.loader({ request: get(`/review?department=${dept}`, comms.cookie), params: {}, context }))).body;

    await many(1000);
    expect(await load()).toMatchObject({ waiting: 1000, moreWaiting: false });
    await many(1);
    const more = await load();
    expect(more).toMatchObject({ waiting: 1000, moreWaiting: true });
    expect(unpack<InboxRow[]>(more.items)).toHaveLength(50);
    expect(serverI18n("fr").t("review.waitingMore", { count: more.waiting })).toBe("Plus de 1\u202f000 contributions attendent une relecture.");
  });

  it("pages the inbox 50 at a time in waiting order, ties on the submission time included, keeping the filters", async () => {
    const comms = await signedIn("comms");
    const dept = await makeDepartment();
    const agent = await signedIn("agent", dept);
    const made: number[] = [];
    for (let i = 0; i < 53; i++) {
      const id = await createContribution(db(), agent, { title: `Page ${i}`, body, tags: ["pagination"], visibilityWish: "organisation", proposeExternal: false }, []);
      await submitContribution(db(), agent, id);
      made.push(id);
    }
    // Minutes apart, newest first made; five share one instant (across the page break at 50).
    for (const [i, id] of made.entries()) {
      const minutes = i >= 45 && i < 50 ? 5 : 60 - i;
      await db().updateTable("contribution").set({ submitted_at: sql`date_trunc('minute', now()) - make_interval(mins => ${minutes})` }).where("id", "=", id).execute();
    }
    const expected = (
      await db().selectFrom("contribution").select("id").where("id", "in", made).orderBy("submitted_at").orderBy("id").execute()
    ).map((r) => r.id);

    const seen: number[] = [];
    let href: string | null = `/review?department=${dept}&tag=pagination`;
    const pages: { size: number; waiting: number; first: string | null }[] = [];
    while (href) {
      const { status, body: page } = outcome(await run(() => inbox.loader({ request: get(href!, comms.cookie), params: {}, context })));
      expect(status).toBe(200);
      seen.push(...unpack<InboxRow[]>(page.items).map((i) => i.id));
      pages.push({ size: unpack<InboxRow[]>(page.items).length, waiting: page.waiting, first: page.first });
      if (page.next) expect(page.next).toContain(`department=${dept}`);
      href = page.next;
    }
    expect(seen).toEqual(expected);
    expect(pages).toEqual([
      { size: 50, waiting: 53, first: null },
      { size: 3, waiting: 53, first: `/review?department=${dept}&tag=pagination` },
    ]);
    // A cursor that is not the app's own starts from the first page.
    const { status, body: bogus } = outcome(await run(() => inbox.loader({ request: get(`/review?department=${dept}&cursor=%00nope`, comms.cookie), params: {}, context })));
    expect(status).toBe(200);
    expect(unpack<InboxRow[]>(bogus.items).map((i) => i.id)).toEqual(expected.slice(0, 50));
  });

  for (const role of ["agent", "manager", "admin"] as const) {
    it(`refuses every review action to a ${role} with 403 and changes nothing`, async () => {
      const c = await submitted();
      const someone = await signedIn(role, c.dept);
      expect(outcome(await run(() => inbox.loader({ request: get("/review", someone.cookie), params: {}, context }))).status).toBe(403);
      expect(outcome(await run(() => reviewPage.loader({ request: get(`/review/${c.id}`, someone.cookie), params: { id: String(c.id) }, context }))).status).toBe(403);
      const attempts: Record<string, string>[] = [
        { intent: "approve", version: String(c.version), visibility: "organisation" },
        { intent: "reject", version: String(c.version), message: "non" },
        { intent: "request_changes", version: String(c.version), message: "non" },
        { intent: "edit", version: String(c.version), title: "Piraté", body },
      ];
      for (const fields of attempts) {
        expect(outcome(await decideVia(someone.cookie, c.id, fields)).status).toBe(403);
      }
      expect(await statusOf(c.id)).toMatchObject({ status: "submitted", version: c.version });
    });
  }
});

describe("decisions", () => {
  it("approves for the organisation, notifies the author, and the author sees the history", async () => {
    const comms = await signedIn("comms");
    const c = await submitted();
    const result = (await decideVia(comms.cookie, c.id, { intent: "approve", version: String(c.version), visibility: "organisation", externalEligible: "on" })) as Response;
    expect(result.status).toBe(302);
    expect(await statusOf(c.id)).toMatchObject({ status: "approved", visibility: "organisation", external_eligible: true });
    const note = await db().selectFrom("notification").select(["kind", "actor_id"]).where("user_id", "=", c.agent.id).where("contribution_id", "=", c.id).execute();
    expect(note).toEqual([{ kind: "approved", actor_id: comms.id }]);
    const page = outcome(await run(() => contributionPage.loader({ request: get(`/contributions/${c.id}`, c.agent.cookie), params: { id: String(c.id) }, context })));
    expect(page.body.c.history.map((e: { kind: string }) => e.kind)).toEqual(["created", "submitted", "approved"]);
  });

  it("requires a comment to request changes and a reason to reject, storing nothing without", async () => {
    const comms = await signedIn("comms");
    const c = await submitted();
    expect(outcome(await decideVia(comms.cookie, c.id, { intent: "request_changes", version: String(c.version), message: "   " }))).toEqual({
      status: 400,
      body: { ok: false, errors: { changesMessage: "review.errors.commentRequired" } },
    });
    expect(outcome(await decideVia(comms.cookie, c.id, { intent: "reject", version: String(c.version), message: "" }))).toEqual({
      status: 400,
      body: { ok: false, errors: { rejectMessage: "review.errors.reasonRequired" } },
    });
    expect(await statusOf(c.id)).toMatchObject({ status: "submitted", version: c.version });
    await decideVia(comms.cookie, c.id, { intent: "request_changes", version: String(c.version), message: "Ajoutez la date, svp." });
    expect((await statusOf(c.id)).status).toBe("changes_requested");
    const event = await db().selectFrom("contribution_event").select(["kind", "message"]).where("contribution_id", "=", c.id).orderBy("id", "desc").executeTakeFirstOrThrow();
    expect(event).toEqual({ kind: "changes_requested", message: "Ajoutez la date, svp." });
  });

  it("refuses a decision on a contribution that is not in review", async () => {
    const comms = await signedIn("comms");
    const c = await submitted();
    await decideVia(comms.cookie, c.id, { intent: "reject", version: String(c.version), message: "Hors sujet" });
    const now = await statusOf(c.id);
    expect(outcome(await decideVia(comms.cookie, c.id, { intent: "approve", version: String(now.version), visibility: "department" }))).toEqual({
      status: 409,
      body: { ok: false, errors: { form: "review.errors.notInReview" } },
    });
    expect((await statusOf(c.id)).status).toBe("rejected");
  });

  it("lets one of two simultaneous decisions win and tells the other plainly", async () => {
    const [first, second] = [await signedIn("comms"), await signedIn("comms")];
    const c = await submitted();
    const results = await Promise.all([
      decide(db(), first, c.id, { decision: "approve", version: c.version, visibility: "department", externalEligible: false }).then(() => "ok", (e) => e),
      decide(db(), second, c.id, { decision: "reject", version: c.version, message: "Non" }).then(() => "ok", (e) => e),
    ]);
    expect(results.filter((r) => r === "ok")).toHaveLength(1);
    const loser = results.find((r) => r !== "ok");
    expect(loser.key).toBe("review.errors.conflict");
    expect(loser.status).toBe(409);
    const events = await db().selectFrom("contribution_event").select("kind").where("contribution_id", "=", c.id).where("kind", "in", ["approved", "rejected"]).execute();
    expect(events).toHaveLength(1);
    const notes = await db().selectFrom("notification").select("kind").where("contribution_id", "=", c.id).where("user_id", "=", c.agent.id).execute();
    expect(notes).toHaveLength(1);
  });

  it("refuses a decision taken on a version someone edited since", async () => {
    const comms = await signedIn("comms");
    const c = await submitted();
    const edit = await decideVia(comms.cookie, c.id, { intent: "edit", version: String(c.version), title: "Titre corrigé", body });
    expect(outcome(edit).body).toEqual({ ok: true, message: "review.edited" });
    expect(outcome(await decideVia(comms.cookie, c.id, { intent: "approve", version: String(c.version), visibility: "department" })).body.errors.form).toBe(
      "review.errors.conflict",
    );
  });
});

describe("external publication gates", () => {
  // The organisation's today (Europe/Paris by default), not UTC's: they differ for an hour or two each night.
  const today = todayIn("Europe/Paris");
  const cases: [string, Record<string, unknown>, string | null][] = [
    ["no identifiable person", { rights_status: "no_person" }, null],
    ["external authorisation", { rights_status: "authorised", rights_scope: "external" }, null],
    ["external authorisation expiring today", { rights_status: "authorised", rights_scope: "external", rights_expires_on: today }, null],
    ["missing alt text", { alt_text: "" }, "alt_missing"],
    ["rights not filled in", { rights_status: "unknown" }, "rights_missing"],
    ["refused authorisation", { rights_status: "refused" }, "rights_refused"],
    ["internal-only authorisation", { rights_status: "authorised", rights_scope: "internal" }, "internal_only"],
    ["expired authorisation", { rights_status: "authorised", rights_scope: "external", rights_expires_on: "2020-01-31" }, "expired"],
  ];
  for (const [label, photo, reason] of cases) {
    it(`${reason ? "refuses" : "allows"} external eligibility with ${label}`, async () => {
      const comms = await signedIn("comms");
      // Alt text is required to submit at all: remove it after submission for that case.
      const c = await submitted(photo.alt_text === "" ? {} : photo);
      if (photo.alt_text === "") await db().updateTable("photo").set({ alt_text: "" }).where("contribution_id", "=", c.id).execute();
      const result = outcome(await decideVia(comms.cookie, c.id, { intent: "approve", version: String(c.version), visibility: "organisation", externalEligible: "on" }));
      if (!reason) {
        expect(result.status).toBe(302 === result.status ? 302 : 200);
        expect(await statusOf(c.id)).toMatchObject({ status: "approved", external_eligible: true });
      } else {
        expect(result.status).toBe(400);
        const [key, params] = result.body.errors.externalEligible;
        expect(key).toBe("review.errors.gates");
        expect(params.blocks).toEqual([{ photo: 1, reason }]);
        expect(await statusOf(c.id)).toMatchObject({ status: "submitted", external_eligible: false, version: c.version });
        let version = c.version;
        if (reason === "alt_missing") {
          // Alt text is required for any approval (DESIGN.md): comms is told which photo, by its field.
          const internal = outcome(await decideVia(comms.cookie, c.id, { intent: "approve", version: String(version), visibility: "department" }));
          const photo = await db().selectFrom("photo").select("id").where("contribution_id", "=", c.id).executeTakeFirstOrThrow();
          expect(internal.status).toBe(400);
          expect(internal.body.errors).toEqual({ form: ["review.errors.altMissing", { positions: "1", count: 1 }], [`photo.${photo.id}.alt`]: "photos.errors.altRequired" });
          expect(await statusOf(c.id)).toMatchObject({ status: "submitted", version });
          const body = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Texte." }] }] });
          await decideVia(comms.cookie, c.id, { intent: "edit", version: String(version), title: "Sortie", body, [`photo.${photo.id}.alt`]: "Le groupe au départ" });
          version = (await statusOf(c.id)).version;
        }
        // Approval for internal use only is still possible.
        await decideVia(comms.cookie, c.id, { intent: "approve", version: String(version), visibility: "department" });
        expect(await statusOf(c.id)).toMatchObject({ status: "approved", external_eligible: false });
      }
    });
  }

  it("takes a contribution out of external use at once when an authorisation is withdrawn, and alerts comms", async () => {
    const comms = await signedIn("comms");
    const colleague = await signedIn("comms");
    const c = await submitted({ rights_status: "authorised", rights_scope: "external" });
    await decideVia(comms.cookie, c.id, { intent: "approve", version: String(c.version), visibility: "organisation", externalEligible: "on" });
    const photo = await db().selectFrom("photo").select("id").where("contribution_id", "=", c.id).executeTakeFirstOrThrow();
    const agent = await signedIn("agent", c.dept);
    expect(outcome(await decideVia(agent.cookie, c.id, { intent: "withdrawRights", photoId: String(photo.id) })).status).toBe(403);
    expect(outcome(await decideVia(comms.cookie, c.id, { intent: "withdrawRights", photoId: String(photo.id) })).body).toEqual({
      ok: true,
      message: "review.rightsWithdrawn",
    });
    expect((await statusOf(c.id)).external_eligible).toBe(false);
    const alert = await db().selectFrom("notification").select(["kind", "data"]).where("user_id", "=", colleague.id).where("contribution_id", "=", c.id).where("kind", "=", "rights_alert").executeTakeFirstOrThrow();
    expect(alert.data).toMatchObject({ photo: 1, reason: "withdrawn" });
    const again = outcome(await decideVia(comms.cookie, c.id, { intent: "withdrawRights", photoId: String(photo.id) }));
    expect(again).toEqual({ status: 409, body: { ok: false, errors: { form: "review.errors.nothingToWithdraw" } } });
  });

  it("flags contributions whose authorisation expired, once", async () => {
    const comms = await signedIn("comms");
    const c = await submitted({ rights_status: "authorised", rights_scope: "external" });
    await decideVia(comms.cookie, c.id, { intent: "approve", version: String(c.version), visibility: "organisation", externalEligible: "on" });
    await db().updateTable("photo").set({ rights_expires_on: "2021-06-30" }).where("contribution_id", "=", c.id).execute();
    expect(await flagExpiredRights(db())).toBeGreaterThanOrEqual(1);
    expect((await statusOf(c.id)).external_eligible).toBe(false);
    const events = await db().selectFrom("contribution_event").select(["kind", "data"]).where("contribution_id", "=", c.id).where("kind", "=", "rights_withdrawn").execute();
    expect(events).toEqual([{ kind: "rights_withdrawn", data: { photo: 1, reason: "expired" } }]);
    await flagExpiredRights(db());
    expect(await db().selectFrom("contribution_event").select("id").where("contribution_id", "=", c.id).where("kind", "=", "rights_withdrawn").execute()).toHaveLength(1);
  });
});

describe("revisions by comms", () => {
  it("keeps every edit (who, when, what changed) for the author to see", async () => {
    const comms = await signedIn("comms");
    const c = await submitted();
    const photo = await db().selectFrom("photo").select("id").where("contribution_id", "=", c.id).executeTakeFirstOrThrow();
    const newBody = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "Texte revu par la com." }] }] });
    await decideVia(comms.cookie, c.id, { intent: "edit", version: String(c.version), title: "Nouveau titre", body: newBody, [`photo.${photo.id}.alt`]: "Description revue" });
    const row = await db().selectFrom("contribution").select(["title", "body_text", "status"]).where("id", "=", c.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ title: "Nouveau titre", body_text: "Texte revu par la com.", status: "submitted" });
    expect((await db().selectFrom("photo").select("alt_text").where("id", "=", photo.id).executeTakeFirstOrThrow()).alt_text).toBe("Description revue");
    const page = outcome(await run(() => contributionPage.loader({ request: get(`/contributions/${c.id}`, c.agent.cookie), params: { id: String(c.id) }, context })));
    const edited = page.body.c.history.find((e: { kind: string }) => e.kind === "edited");
    expect(edited.actor_id).toBe(comms.id);
    expect(edited.data.changed).toEqual(["title", "body", "alt"]);
    expect(edited.data.before.body).toBe("Un compte rendu du terrain.");
    expect(edited.data.after.alt).toEqual({ 1: "Description revue" });
    const hostile = JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: "x", marks: [{ type: "link", attrs: { href: "javascript:alert(1)" } }] }] }] });
    const v = (await statusOf(c.id)).version;
    const refused = outcome(await decideVia(comms.cookie, c.id, { intent: "edit", version: String(v), title: "T", body: hostile }));
    expect(refused.status).toBe(400);
    expect((await statusOf(c.id)).version).toBe(v);
  });
});

/** Only this test's mails in the queue: earlier tests queued mails to many comms accounts. */
async function isolateMailQueue() {
  await sql`DELETE FROM graphile_worker._private_jobs`.execute(db());
  await db().updateTable("app_user").set({ active: false }).where("role", "=", "comms").execute();
}

describe("notification e-mails", () => {
  it("sends the author's mail through the job queue to the SMTP server, in their language, and the comms' on submission", async () => {
    await isolateMailQueue();
    const comms = await signedIn("comms");
    const c = await submitted();
    await db().updateTable("app_user").set({ locale: "en" }).where("id", "=", c.agent.id).execute();
    await decide(db(), comms, c.id, { decision: "request_changes", version: c.version, message: "Please add the date" });
    await runOnce({ pgPool: pool(), taskList, logger: quietLogger });
    const toAuthor = received.find((m) => m.to.includes(c.agent.email));
    expect(toAuthor).toBeDefined();
    expect(decodeHeader(toAuthor!.raw, "Subject")).toMatch(/^Relais: Changes are requested for “Sortie/);
    expect(toAuthor!.raw).toContain("Please add the date");
    const toComms = received.find((m) => m.to.includes(comms.email));
    expect(decodeHeader(toComms!.raw, "Subject")).toMatch(/^Relais : Nouvelle contribution à relire : « Sortie/);
    const emailed = await db().selectFrom("notification").select("emailed_at").where("user_id", "=", c.agent.id).where("contribution_id", "=", c.id).executeTakeFirstOrThrow();
    expect(emailed.emailed_at).not.toBeNull();
  });

  it("retries a send the mail server refused, and delivers it once it is back", async () => {
    await isolateMailQueue();
    const c = await submitted();
    const comms = await signedIn("comms"); // after the submission: only the author's mail is queued
    await decide(db(), comms, c.id, { decision: "reject", version: c.version, message: "Hors sujet" });
    // The worker logs the refused send: an operator must see it.
    expectConsoleError(/\[worker\] Failed task .*451 Service temporairement indisponible/);
    refuse = true;
    let rows: { attempts: number; last_error: string | null }[] = [];
    try {
      await runOnce({ pgPool: pool(), taskList, logger: quietLogger });
      // The failure is recorded as the job is released: wait for it rather than race it.
      for (let i = 0; i < 50; i++) {
        rows = (await sql<{ attempts: number; last_error: string | null }>`
          SELECT attempts, last_error FROM graphile_worker._private_jobs`.execute(db())).rows;
        if (rows.every((r) => r.last_error)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      refuse = false;
    }
    expect(received.filter((m) => m.to.includes(c.agent.email))).toHaveLength(0);
    expect(rows).toHaveLength(1);
    expect(rows[0].attempts).toBe(1);
    expect(rows[0].last_error).toContain("Service temporairement indisponible");
    // The retry is scheduled with a back-off; bring it forward rather than wait.
    await sql`UPDATE graphile_worker._private_jobs SET run_at = now()`.execute(db());
    await runOnce({ pgPool: pool(), taskList, logger: quietLogger });
    // graphile-worker records a completion just after runOnce resolves: wait for it.
    let left = 1;
    for (let i = 0; i < 50 && left > 0; i++) {
      left = (await sql`SELECT 1 FROM graphile_worker._private_jobs`.execute(db())).rows.length;
      if (left > 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe(0);
    expect(received.filter((m) => m.to.includes(c.agent.email))).toHaveLength(1);
  });

  it("respects each person's choice: no mail for unwanted kinds, one daily digest instead of single mails", async () => {
    await isolateMailQueue();
    const comms = await signedIn("comms");
    const quiet = await submitted();
    await db().updateTable("app_user").set({ email_kinds: [] }).where("id", "=", quiet.agent.id).execute();
    const digest = await submitted();
    await db().updateTable("app_user").set({ email_digest: true }).where("id", "=", digest.agent.id).execute();
    await decide(db(), comms, quiet.id, { decision: "approve", version: quiet.version, visibility: "department", externalEligible: false });
    await decide(db(), comms, digest.id, { decision: "reject", version: digest.version, message: "Doublon" });
    const before = received.length;
    await runOnce({ pgPool: pool(), taskList, logger: quietLogger });
    expect(received.slice(before).filter((m) => m.to.includes(quiet.agent.email) || m.to.includes(digest.agent.email))).toEqual([]);
    // The hourly cron run sends the digest only at 07:00 in the organisation's time zone (Paris:
    // 06:00 UTC in winter), not at 07:00 UTC.
    const cronRun = (ts: string) => taskList.notification_digest!({ _cron: { ts } } as never, {} as JobHelpers);
    await cronRun("2026-01-15T07:00:00.000Z");
    expect(received.filter((m) => m.to.includes(digest.agent.email))).toHaveLength(0);
    await cronRun("2026-01-15T06:00:00.000Z");
    const digests = received.filter((m) => m.to.includes(digest.agent.email));
    expect(digests).toHaveLength(1);
    expect(digests[0].raw).toMatch(/refus/);
    await cronRun("2026-01-16T06:00:00.000Z");
    expect(received.filter((m) => m.to.includes(digest.agent.email))).toHaveLength(1);
  });
});
