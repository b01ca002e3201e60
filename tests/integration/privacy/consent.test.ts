import { readFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { handleExpiredConsents, linkPhoto, listConsents, recordConsent, withdrawConsent } from "~/consent/consents.server";
import { db } from "~/db.server";
import { tFor } from "~/i18n/i18n";
import { externalBlocks } from "~/photos/rights.server";
import { markPublishedByHand } from "~/publishing/delivery.server";
import { createPublication } from "~/publishing/queue.server";
import { UserError } from "~/utils/errors.server";
import { context, filesUnder, get, jpegBytes, outcome, post, run, signedIn } from "../../factories";
import { channel, comms, publicationRow, publishable } from "../publishing/fixtures";

const fr = tFor("fr");
const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

/** The French message of a refusal, or a description of what was thrown instead. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return fr(error.key, error.params);
    if (error instanceof Response) return `HTTP ${error.status}`;
    throw error;
  }
  return "accepté";
}

function consentForm(fields: Record<string, string>, file?: [Uint8Array, string, string]): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append("form_file", new Blob([new Uint8Array(file[0])], { type: file[2] }), file[1]);
  return form;
}

const index = () => import("~/routes/consents._index");
const page = () => import("~/routes/consents.$id");
const formFile = () => import("~/routes/consents.$id_.form");

/** An authorisation recorded by comms, straight through the domain. */
async function consent(actor: Parameters<typeof recordConsent>[1], fields: Partial<Parameters<typeof recordConsent>[2]> = {}) {
  return recordConsent(db(), actor, { personName: "Camille Martin", allowsWebsite: true, allowsSocial: true, expiresOn: null, minor: false, ...fields }, null);
}

const consentFiles = async () => (await filesUnder()).filter((f) => f.startsWith("consent-forms") || f.startsWith("tmp"));

describe("the register's pages", () => {
  it("records an authorisation with its signed PDF, served to comms and admins only (404 for an agent and a manager)", async () => {
    const member = await signedIn("comms");
    const { action } = await index();
    const before = await consentFiles();
    const result = await run(() =>
      action({ request: post("/consents", consentForm({ personName: "Léa Petit", reference: "AUT-2026-014", allowsSocial: "on", expiresOn: "2027-06-30", minor: "on", guardianName: "Marc Petit" }, [PDF, "autorisation.pdf", "application/pdf"]), member.cookie), params: {}, context }),
    );
    expect(result).toBeInstanceOf(Response);
    const id = Number(/\/consents\/(\d+)/.exec((result as Response).headers.get("Location")!)![1]);
    const row = await db().selectFrom("consent").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ person_name: "Léa Petit", reference: "AUT-2026-014", allows_website: false, allows_social: true, expires_on: "2027-06-30", minor: true, guardian_name: "Marc Petit", form_type: "application/pdf", form_bytes: PDF.length, created_by: member.id });
    expect(row.form_key).toMatch(/^consent-forms\/[0-9a-f]{2}\/[0-9a-f]{64}\.pdf$/);
    expect(await readFile(path.join(process.env.UPLOADS_DIR!, row.form_key!))).toEqual(PDF);
    expect((await consentFiles()).length).toBe(before.length + 1);
    const entry = await db().selectFrom("audit_entry").selectAll().where("action", "=", "consent_recorded").where("subject_id", "=", String(id)).executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor_id: member.id, subject_type: "consent" });
    expect(JSON.stringify(entry.details)).not.toContain("Petit");

    const { loader } = await formFile();
    for (const role of ["comms", "admin"] as const) {
      const reader = await signedIn(role, role === "admin" ? null : undefined);
      const response = (await run(() => loader({ request: get(`/consents/${id}/form`, reader.cookie), params: { id: String(id) }, context }))) as Response;
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Type")).toBe("application/pdf");
      expect(response.headers.get("Content-Disposition")).toMatch(/^attachment/);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(PDF);
    }
    for (const role of ["agent", "manager"] as const) {
      const other = await signedIn(role);
      const response = await run(() => loader({ request: get(`/consents/${id}/form`, other.cookie), params: { id: String(id) }, context }));
      expect(outcome(response).status, role).toBe(404);
      const details = await run(async () => (await page()).loader({ request: get(`/consents/${id}`, other.cookie), params: { id: String(id) }, context }));
      expect(outcome(details).status, role).toBe(404);
      const list = await run(async () => (await index()).loader({ request: get("/consents", other.cookie), params: {}, context }));
      expect(outcome(list).status, role).toBe(404);
    }
  });

  it("refuses a file that is not a PDF, JPEG or PNG by its bytes (whatever its name), with a French message by the field; nothing stored, no file left", async () => {
    const member = await signedIn("comms");
    const { action } = await index();
    const before = await consentFiles();
    const count = async () => (await db().selectFrom("consent").select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n;
    const rows = await count();
    const script = Buffer.from("#!/bin/sh\necho 'pas un PDF'\n");
    const result = await run(() => action({ request: post("/consents", consentForm({ personName: "Jo" }, [script, "autorisation.pdf", "application/pdf"]), member.cookie), params: {}, context }));
    const { status, body } = outcome(result);
    expect(status).toBe(415);
    expect(fr(body.errors.form_file)).toBe("Ce fichier n'est ni un PDF, ni une image JPEG ou PNG.");
    expect(await count()).toBe(rows);
    expect(await consentFiles()).toEqual(before);

    // The form's own rules: a name or a reference; for a minor, who signed. The file goes too.
    const jpeg = await jpegBytes(3);
    const refused = outcome(await run(() => action({ request: post("/consents", consentForm({ minor: "on" }, [jpeg, "a.jpg", "image/jpeg"]), member.cookie), params: {}, context })));
    expect(refused.status).toBe(400);
    expect(fr(refused.body.errors.personName)).toBe("Indiquez le nom de la personne ou une référence.");
    expect(fr(refused.body.errors.guardianName)).toBe("Pour une personne mineure, indiquez qui a signé (parent ou tuteur).");
    expect(await count()).toBe(rows);
    expect(await consentFiles()).toEqual(before);
  });

  it("searches by name or reference and filters expired and withdrawn authorisations", async () => {
    const { actor } = await comms();
    const tag = Math.random().toString(36).slice(2, 8);
    const active = await consent(actor, { personName: `Ana ${tag}` });
    const expired = await consent(actor, { personName: undefined, reference: `REF-${tag}`, expiresOn: "2020-01-31" });
    const withdrawn = await consent(actor, { personName: `Bruno ${tag}` });
    await withdrawConsent(db(), actor, withdrawn);
    const ids = async (filter: "all" | "active" | "expired" | "withdrawn") => (await listConsents(db(), actor, { q: tag.toUpperCase(), filter })).map((c) => c.id);
    expect(await ids("all")).toEqual([withdrawn, expired, active]);
    expect(await ids("active")).toEqual([active]);
    expect(await ids("expired")).toEqual([expired]);
    expect(await ids("withdrawn")).toEqual([withdrawn]);
    expect((await listConsents(db(), actor, { q: "100%_" })).length).toBe(0);
  });
});

describe("a photo's external right from its linked authorisations", () => {
  it("follows every linked authorisation's scope and expiry for the channel's audience", async () => {
    const { actor } = await comms();
    const social = await channel(actor, { kind: "manual", name: "Instagram" });
    const website = await channel(actor, { kind: "feed" });
    const c = await publishable();
    const [photoId] = c.photoIds;
    // Not filled in on the photo itself: the register decides once a person is linked.
    await db().updateTable("photo").set({ rights_status: "unknown" }).where("id", "=", photoId).execute();
    expect(await externalBlocks(db(), c.id)).toEqual([{ photo: 1, reason: "rights_missing" }]);

    const both = await consent(actor, { allowsWebsite: true, allowsSocial: true });
    const socialOnly = await consent(actor, { allowsWebsite: false, allowsSocial: true });
    await linkPhoto(db(), actor, both, photoId);
    await linkPhoto(db(), actor, socialOnly, photoId);
    expect(await externalBlocks(db(), c.id, "social")).toEqual([]);
    expect(await externalBlocks(db(), c.id, "website")).toEqual([{ photo: 1, reason: "consent_scope" }]);
    expect(await refusal(createPublication(db(), actor, { contributionId: c.id, channelId: website.id }))).toContain("une personne photographiée n'a pas autorisé cet usage");
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: social.id });
    expect((await publicationRow(made.id)).state).toBe("scheduled");

    // An expired authorisation blocks every use outside; a refusal on the photo still stands.
    await db().updateTable("consent").set({ expires_on: "2021-01-01" }).where("id", "=", socialOnly).execute();
    expect(await externalBlocks(db(), c.id, "social")).toEqual([{ photo: 1, reason: "consent_expired" }]);
    await db().updateTable("consent").set({ expires_on: null }).where("id", "=", socialOnly).execute();
    await db().updateTable("photo").set({ rights_status: "refused" }).where("id", "=", photoId).execute();
    expect(await externalBlocks(db(), c.id, "social")).toEqual([{ photo: 1, reason: "rights_refused" }]);
  });

  it("is linked from the review page by comms, for a photo of that contribution only", async () => {
    const member = await signedIn("comms");
    const actor = { id: member.id, role: member.role, departmentId: member.departmentId };
    const c = await publishable();
    const other = await publishable();
    const id = await consent(actor);
    const review = await import("~/routes/review.$id");
    const send = (contributionId: number, photoId: number, consentId: string) =>
      run(() => review.action({ request: post(`/review/${contributionId}`, { intent: "linkConsent", photoId: String(photoId), consentId }, member.cookie), params: { id: String(contributionId) }, context }));
    expect(outcome(await send(c.id, c.photoIds[0], String(id))).status).toBe(200);
    expect(outcome(await send(c.id, other.photoIds[0], String(id))).status).toBe(404);
    expect(fr(outcome(await send(c.id, c.photoIds[0], "")).body.errors.form)).toBe("Choisissez une autorisation de la liste.");
    const links = await db().selectFrom("photo_consent").select("photo_id").where("consent_id", "=", id).execute();
    expect(links.map((l) => l.photo_id)).toEqual([c.photoIds[0]]);
    const loaded = outcome(await run(() => review.loader({ request: get(`/review/${c.id}`, member.cookie), params: { id: String(c.id) }, context })));
    expect(loaded.body.consents.map((x: { id: number }) => x.id)).toEqual([id]);
    const audit = await db().selectFrom("audit_entry").select("details").where("action", "=", "consent_changed").where("subject_id", "=", String(id)).execute();
    expect(audit.map((a) => a.details)).toEqual([{ change: "photo_linked", photo: c.photoIds[0] }]);
  });
});

describe("withdrawal and expiry", () => {
  /** A person in two photos of two contributions, each queued on a channel, and one post already out. */
  async function personInTwoPhotos() {
    const { actor } = await comms();
    const colleague = await signedIn("comms");
    const instagram = await channel(actor, { kind: "manual", name: "Instagram" });
    const site = await channel(actor, { kind: "feed", name: "Site web" });
    const first = await publishable({ title: "Fête de l'école" });
    const second = await publishable({ title: "Carnaval du quartier" });
    const id = await consent(actor, { personName: "Inès Robert" });
    await linkPhoto(db(), actor, id, first.photoIds[0]);
    await linkPhoto(db(), actor, id, second.photoIds[0]);
    const queued = [
      await createPublication(db(), actor, { contributionId: first.id, channelId: instagram.id }),
      await createPublication(db(), actor, { contributionId: second.id, channelId: site.id, schedule: false }),
    ];
    const out = await createPublication(db(), actor, { contributionId: first.id, channelId: site.id });
    await db().updateTable("publication").set({ state: "published", published_at: sql`now()`, remote_url: "https://www.example.org/actualites/fete-ecole" }).where("id", "=", out.id).execute();
    const byHand = await createPublication(db(), actor, { contributionId: second.id, channelId: instagram.id });
    await markPublishedByHand(db(), actor, byHand.id, "https://www.instagram.com/p/CARNAVAL/");
    return { actor, colleague, id, queued, published: [out.id, byHand.id] };
  }

  it("holds at once every pending publication of every photo of the person and tells comms which posts already ran, with their links", async () => {
    const { actor, colleague, id, queued, published } = await personInTwoPhotos();
    const { held } = await withdrawConsent(db(), actor, id);
    expect(held).toBe(2);
    // Held in the withdrawal's own transaction: no job had to run.
    for (const q of queued) {
      expect(await publicationRow(q.id)).toMatchObject({ state: "held", held_reason: "Photo 1 : une personne photographiée a retiré son autorisation" });
    }
    for (const p of published) expect((await publicationRow(p)).state).toBe("published");
    expect(await db().selectFrom("consent").select(["withdrawn_by"]).where("id", "=", id).executeTakeFirstOrThrow()).toEqual({ withdrawn_by: actor.id });

    const note = await db().selectFrom("notification").selectAll().where("user_id", "=", colleague.id).where("kind", "=", "rights_alert").executeTakeFirstOrThrow();
    expect(note.link).toBe(`/consents/${id}`);
    const data = note.data as { posts: { url: string }[] };
    expect(data.posts.map((p) => p.url).sort()).toEqual(["https://www.example.org/actualites/fete-ecole", "https://www.instagram.com/p/CARNAVAL/"]);
    expect(fr(`notifications.kinds.${note.kind}`, { ...note.data })).toBe(
      "Droit à l'image : Inès Robert a retiré son autorisation. Publications en attente suspendues : 2 ; déjà parues, à retirer à la main : 2.",
    );
    const entry = await db().selectFrom("audit_entry").selectAll().where("action", "=", "consent_withdrawn").where("subject_id", "=", String(id)).executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor_id: actor.id, details: { held: 2 } });

    // The consent's page lists the posts to take down; a second withdrawal is refused.
    const member = await signedIn("comms");
    const shown = outcome(await run(async () => (await page()).loader({ request: get(`/consents/${id}`, member.cookie), params: { id: String(id) }, context })));
    expect(shown.body.published.map((p: { url: string }) => p.url).sort()).toEqual(data.posts.map((p) => p.url).sort());
    expect(shown.body.photos).toHaveLength(2);
    expect(await refusal(withdrawConsent(db(), actor, id))).toBe("Cette autorisation est déjà retirée.");
  });

  it("an expired authorisation does the same, once, through the hourly job", async () => {
    const { colleague, id, queued } = await personInTwoPhotos();
    await db().updateTable("consent").set({ expires_on: "2021-03-31" }).where("id", "=", id).execute();
    expect(await handleExpiredConsents(db())).toBeGreaterThanOrEqual(1);
    for (const q of queued) expect(await publicationRow(q.id)).toMatchObject({ state: "held", held_reason: "Photo 1 : l'autorisation d'une personne photographiée a expiré" });
    await handleExpiredConsents(db());
    const notes = await db().selectFrom("notification").select(["data"]).where("user_id", "=", colleague.id).where("kind", "=", "rights_alert").where("link", "=", `/consents/${id}`).execute();
    expect(notes).toHaveLength(1);
    expect(notes[0].data).toMatchObject({ context: "consent_expired", held: 2, published: 2 });
  });
});
