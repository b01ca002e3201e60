import { randomBytes } from "node:crypto";
import fsp from "node:fs/promises";
import { sql, type Transaction } from "kysely";
import { z } from "zod";
import type { Actor } from "~/auth/actor";
import { isoDate } from "~/contributions/schema";
import { canView } from "~/contributions/visibility.server";
import type { Database, DB } from "~/db.server";
import { notifyComms } from "~/notifications/notifications.server";
import { dayOf } from "~/organisation/calendar.server";
import { storage } from "~/photos/storage.server";
import { PhotoError } from "~/photos/pipeline.server";
import { discardTemps, parseUpload, type UploadedTemp } from "~/photos/upload.server";
import { audit } from "~/privacy/audit.server";
import { holdPublicationsUsingPhoto } from "~/publishing/queue.server";
import { FormRefusal, UserError } from "~/utils/errors.server";
import { consentLabel, type ConsentFilter } from "./consent";
import { extensionOf, formTypeOf, MAX_FORM_BYTES, SIGNATURE_BYTES } from "./form-file";

/*
 * The consent register (droit à l'image): the authorisations photographed people signed, what
 * each allows (inside always; the website; social networks), until when, who signed for a minor,
 * the signed form, and withdrawals. Photos are linked to the authorisations of the people they
 * show; app/photos/rights.ts derives a photo's external right from them (decision 0012).
 *
 * Kept by comms and admins (the DPO is an admin in Relais); for anyone else the register and its
 * files do not exist (404).
 */

const notFound = () => new Response("Not Found", { status: 404 });

/** Comms and admins keep the register; for anyone else it answers like a missing page. */
export function assertConsentKeeper(actor: Actor): void {
  if (actor.role !== "comms" && actor.role !== "admin") throw notFound();
}

const checkbox = z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean());
const optionalText = (max: number, key: string) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.string(key).trim().max(max, key).optional());

/** The register's form, shared by the page and the domain. Messages are translation keys. */
export const consentFields = z
  .object({
    personName: optionalText(200, "consent.errors.nameTooLong"),
    reference: optionalText(100, "consent.errors.referenceTooLong"),
    allowsWebsite: checkbox,
    allowsSocial: checkbox,
    expiresOn: z.preprocess((v) => (v === "" || v === undefined ? null : v), isoDate("consent.errors.expiry").nullable()),
    minor: checkbox,
    guardianName: optionalText(200, "consent.errors.guardianTooLong"),
  })
  .refine((c) => c.personName || c.reference, { message: "consent.errors.personRequired", path: ["personName"] })
  .refine((c) => !c.minor || c.guardianName, { message: "consent.errors.guardianRequired", path: ["guardianName"] });
export type ConsentFields = z.infer<typeof consentFields>;


/** What a list or a page shows of one authorisation (never the storage key of its form). */
function consentColumns(db: DB) {
  return db
    .selectFrom("consent as c")
    .leftJoin("app_user as w", "w.id", "c.withdrawn_by")
    .select([
      "c.id",
      "c.person_name",
      "c.reference",
      "c.allows_website",
      "c.allows_social",
      "c.expires_on",
      "c.minor",
      "c.guardian_name",
      "c.form_type",
      "c.form_bytes",
      "c.withdrawn_at",
      "w.display_name as withdrawn_by_name",
      "c.created_at",
      sql<boolean>`c.expires_on IS NOT NULL AND c.expires_on < ${dayOf()}`.as("expired"),
    ]);
}


/**
 * The register (comms and admins): newest first, at most 200, searched by name or reference
 * (case and accents as typed), filtered on in force / expired / withdrawn.
 */
export async function listConsents(db: DB, actor: Actor, options: { q?: string; filter?: ConsentFilter } = {}) {
  assertConsentKeeper(actor);
  let q = consentColumns(db);
  const text = options.q?.trim().slice(0, 200);
  if (text) {
    const pattern = `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    q = q.where((eb) => eb.or([eb("c.person_name", "ilike", pattern), eb("c.reference", "ilike", pattern)]));
  }
  const expired = sql<boolean>`(c.expires_on IS NOT NULL AND c.expires_on < ${dayOf()})`;
  if (options.filter === "withdrawn") q = q.where("c.withdrawn_at", "is not", null);
  if (options.filter === "expired") q = q.where("c.withdrawn_at", "is", null).where(expired);
  if (options.filter === "active") q = q.where("c.withdrawn_at", "is", null).where(sql<boolean>`NOT ${expired}`);
  return q.orderBy("c.id", "desc").limit(200).execute();
}

/**
 * Reads the register's multipart form: its text fields, and the signed form (field `form_file`,
 * at most one file of MAX_FORM_BYTES) streamed to a temp file the caller hands to recordConsent or
 * attachForm (which remove it) or to discardTemps. Refusals are FormRefusals, messages by field.
 */
export async function readConsentRequest(request: Request): Promise<{ form: FormData; file: UploadedTemp | null }> {
  try {
    const { form, files } = await parseUpload(request, { maxFiles: 1, fieldName: "form_file", maxFileBytes: MAX_FORM_BYTES });
    return { form, file: files[0] ?? null };
  } catch (error) {
    if (!(error instanceof PhotoError)) throw error;
    if (error.code === "too_large") throw new FormRefusal({ form_file: "consent.errors.formTooLarge" }, 413);
    if (error.code === "too_many_files") throw new FormRefusal({ form_file: "consent.errors.formOne" });
    throw new FormRefusal({ form: ["common.raw", { text: error.message }] }, error.status);
  }
}

/** Removes a request's temp file that will not be used. */
export async function discardUpload(file: UploadedTemp | null): Promise<void> {
  if (file) await discardTemps([file]);
}

/** Reads the first bytes of an uploaded file. */
async function headOf(file: UploadedTemp): Promise<Buffer> {
  const handle = await fsp.open(file.path, "r");
  try {
    const head = Buffer.alloc(SIGNATURE_BYTES);
    const { bytesRead } = await handle.read(head, 0, SIGNATURE_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Checks a signed form (PDF, JPEG or PNG by its first bytes, at most MAX_FORM_BYTES) and moves it
 * into the storage under a new random key; a refused file is removed and a UserError says why
 * beside the file field. The caller writes the row that points at it, or deletes the file.
 */
async function storeForm(file: UploadedTemp) {
  try {
    if (file.size === 0) throw new UserError("consent.errors.formEmpty", "form_file");
    if (file.size > MAX_FORM_BYTES) throw new UserError("consent.errors.formTooLarge", "form_file", 413);
    const type = formTypeOf(await headOf(file));
    if (!type) throw new UserError("consent.errors.formType", "form_file", 415);
    const hex = randomBytes(32).toString("hex");
    const key = `consent-forms/${hex.slice(0, 2)}/${hex}.${extensionOf(type)}`;
    await storage().putFile(key, file.path);
    return { key, type, bytes: file.size };
  } finally {
    await fsp.rm(file.path, { force: true });
  }
}

/** Runs `write` with the form stored first; removes the stored file when the write fails. */
async function withStoredForm<T>(file: UploadedTemp | null, write: (form: Awaited<ReturnType<typeof storeForm>> | null) => Promise<T>): Promise<T> {
  const form = file ? await storeForm(file) : null;
  try {
    return await write(form);
  } catch (error) {
    if (form) await storage().delete(form.key);
    throw error;
  }
}

/**
 * Records an authorisation (comms and admins), with its signed form when one is attached: the
 * file is written before the row that points at it, and removed if the row is not.
 */
export async function recordConsent(db: DB, actor: Actor, fields: ConsentFields, file: UploadedTemp | null): Promise<number> {
  assertConsentKeeper(actor);
  return withStoredForm(file, (form) =>
    db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto("consent")
        .values({
          person_name: fields.personName ?? null,
          reference: fields.reference ?? null,
          allows_website: fields.allowsWebsite,
          allows_social: fields.allowsSocial,
          expires_on: fields.expiresOn,
          minor: fields.minor,
          guardian_name: fields.minor ? (fields.guardianName ?? null) : null,
          form_key: form?.key ?? null,
          form_type: form?.type ?? null,
          form_bytes: form?.bytes ?? null,
          created_by: actor.id,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await audit(trx, actor, "consent_recorded", { type: "consent", id: row.id }, { website: fields.allowsWebsite, social: fields.allowsSocial, minor: fields.minor, form: !!form });
      return row.id;
    }),
  );
}

async function lockConsent(trx: Transaction<Database>, id: number) {
  const row = await trx.selectFrom("consent").select(["id", "person_name", "reference", "withdrawn_at", "form_key"]).where("id", "=", id).forUpdate().executeTakeFirst();
  if (!row) throw notFound();
  return row;
}

/** Attaches (or replaces) the signed form of an authorisation; the replaced file goes after the commit. */
export async function attachForm(db: DB, actor: Actor, id: number, file: UploadedTemp): Promise<void> {
  assertConsentKeeper(actor);
  const replaced = await withStoredForm(file, (form) =>
    db.transaction().execute(async (trx) => {
      const c = await lockConsent(trx, id);
      await trx
        .updateTable("consent")
        .set({ form_key: form!.key, form_type: form!.type, form_bytes: form!.bytes, updated_at: sql`now()` })
        .where("id", "=", id)
        .execute();
      await audit(trx, actor, "consent_changed", { type: "consent", id }, { change: "form_attached" });
      return c.form_key;
    }),
  );
  if (replaced) await storage().delete(replaced);
}

/** The signed form of an authorisation, for comms and admins only (404 for anyone else or when there is none). */
export async function openSignedForm(db: DB, actor: Actor, id: number): Promise<{ stream: NodeJS.ReadableStream; type: string; bytes: number; name: string }> {
  assertConsentKeeper(actor);
  const c = await db.selectFrom("consent").select(["form_key", "form_type", "form_bytes"]).where("id", "=", id).executeTakeFirst();
  if (!c?.form_key || !c.form_type || !c.form_bytes) throw notFound();
  return { stream: storage().createReadStream(c.form_key), type: c.form_type, bytes: c.form_bytes, name: `autorisation-${id}.${extensionOf(c.form_type)}` };
}

/** A photo and its contribution, as the register links them; null when there is none. */
async function photoWithContribution(db: DB, photoId: number) {
  return db
    .selectFrom("photo as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .select(["p.id", "p.position", "p.contribution_id", "c.title", "c.author_id", "c.department_id", "c.status", "c.visibility"])
    .where("p.id", "=", photoId)
    .executeTakeFirst();
}

/**
 * Says that a photo shows the person of an authorisation (comms; an admin too, for photos they
 * may see). 404 for a photo or authorisation one may not see; linking twice changes nothing.
 */
export async function linkPhoto(db: DB, actor: Actor, consentId: number, photoId: number, options: { contributionId?: number } = {}): Promise<void> {
  assertConsentKeeper(actor);
  const photo = await photoWithContribution(db, photoId);
  if (!photo || !canView(actor, photo)) throw notFound();
  // From a contribution's page: only a photo of that contribution.
  if (options.contributionId !== undefined && photo.contribution_id !== options.contributionId) throw notFound();
  await db.transaction().execute(async (trx) => {
    await lockConsent(trx, consentId);
    const row = await trx
      .insertInto("photo_consent")
      .values({ photo_id: photoId, consent_id: consentId, linked_by: actor.id })
      .onConflict((oc) => oc.doNothing())
      .returning("photo_id")
      .executeTakeFirst();
    if (row) await audit(trx, actor, "consent_changed", { type: "consent", id: consentId, departmentId: photo.department_id }, { change: "photo_linked", photo: photoId });
  });
}

/** Takes a photo off an authorisation (it does not show that person after all). */
export async function unlinkPhoto(db: DB, actor: Actor, consentId: number, photoId: number): Promise<void> {
  assertConsentKeeper(actor);
  const photo = await photoWithContribution(db, photoId);
  if (!photo || !canView(actor, photo)) throw notFound();
  await db.transaction().execute(async (trx) => {
    await lockConsent(trx, consentId);
    const gone = await trx.deleteFrom("photo_consent").where("photo_id", "=", photoId).where("consent_id", "=", consentId).returning("photo_id").executeTakeFirst();
    if (gone) await audit(trx, actor, "consent_changed", { type: "consent", id: consentId, departmentId: photo.department_id }, { change: "photo_unlinked", photo: photoId });
  });
}

/** The photos linked to an authorisation, each with its contribution. */
async function linkedPhotos(db: DB, consentId: number) {
  return db
    .selectFrom("photo_consent as pc")
    .innerJoin("photo as p", "p.id", "pc.photo_id")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .select(["p.id", "p.position", "p.width", "p.height", "p.placeholder", "p.alt_text", "p.contribution_id", "c.title", "c.author_id", "c.department_id", "c.status", "c.visibility"])
    .where("pc.consent_id", "=", consentId)
    .orderBy("p.contribution_id")
    .orderBy("p.position")
    .execute();
}

/** Posts that already went out with these photos: they cannot be held, only taken down by hand. */
async function publishedWith(db: DB, photoIds: number[]) {
  if (photoIds.length === 0) return [];
  return db
    .selectFrom("publication as p")
    .innerJoin("channel as ch", "ch.id", "p.channel_id")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .select(["p.id", "p.remote_url", "p.published_at", "ch.name as channel", "c.title"])
    .distinct()
    .where("p.state", "=", "published")
    .where("p.id", "in", db.selectFrom("publication_photo").select("publication_id").where("photo_id", "in", photoIds))
    .orderBy("p.id")
    .execute();
}

/**
 * One authorisation with its linked photos (those of contributions the actor may see; the others
 * are only counted) and the posts already published with them.
 */
export async function getConsent(db: DB, actor: Actor, id: number) {
  assertConsentKeeper(actor);
  const consent = await consentColumns(db).where("c.id", "=", id).executeTakeFirst();
  if (!consent) throw notFound();
  const photos = await linkedPhotos(db, id);
  const visible = photos.filter((p) => canView(actor, p));
  const published = await publishedWith(db, photos.map((p) => p.id));
  return {
    consent: { ...consent, label: consentLabel(consent) },
    photos: visible.map((p) => ({ id: p.id, n: p.position + 1, width: p.width, height: p.height, placeholder: p.placeholder, alt: p.alt_text, contributionId: p.contribution_id, title: p.title })),
    hiddenPhotos: photos.length - visible.length,
    published: published.map((p) => ({ id: p.id, url: p.remote_url, channel: p.channel, title: p.title, publishedAt: p.published_at })),
  };
}

/** Authorisations linked to these photos, for the review page: id, label, state. */
export async function consentsOfPhotos(db: DB, actor: Actor, photoIds: number[]) {
  assertConsentKeeper(actor);
  if (photoIds.length === 0) return [];
  const rows = await consentColumns(db).innerJoin("photo_consent as pc", "pc.consent_id", "c.id").select("pc.photo_id").where("pc.photo_id", "in", photoIds).orderBy("c.id").execute();
  return rows.map((r) => ({ ...r, label: consentLabel(r) }));
}

/**
 * Holds, in the caller's transaction, every publication not yet delivered of every photo linked
 * to the authorisation, and tells comms, listing the posts that already ran (with their links)
 * so that they can take them down by hand.
 */
async function stopUses(trx: Transaction<Database>, consent: { id: number; person_name: string | null; reference: string | null }, actorId: string | null, why: "consent_withdrawn" | "consent_expired") {
  const photos = await trx.selectFrom("photo_consent").select("photo_id").where("consent_id", "=", consent.id).execute();
  let held = 0;
  for (const { photo_id } of photos) held += await holdPublicationsUsingPhoto(trx, photo_id);
  const published = await publishedWith(trx, photos.map((p) => p.photo_id));
  await notifyComms(trx, {
    kind: "rights_alert",
    actorId,
    title: consentLabel(consent),
    link: `/consents/${consent.id}`,
    // `context` picks the message (notifications.kinds.rights_alert_<context>) where it is shown.
    data: { context: why, held, published: published.length, posts: published.map((p) => ({ channel: p.channel, title: p.title, url: p.remote_url })) },
  });
  return held;
}

/**
 * Records that the person withdrew their authorisation (comms and admins). In the same
 * transaction: every queued or scheduled publication of every photo of them is held (the reason
 * shown on the queue), and comms are told which posts already ran.
 */
export async function withdrawConsent(db: DB, actor: Actor, id: number): Promise<{ held: number }> {
  assertConsentKeeper(actor);
  return db.transaction().execute(async (trx) => {
    const c = await lockConsent(trx, id);
    if (c.withdrawn_at) throw new UserError("consent.errors.alreadyWithdrawn", "form", 409);
    await trx.updateTable("consent").set({ withdrawn_at: sql`now()`, withdrawn_by: actor.id, updated_at: sql`now()` }).where("id", "=", id).execute();
    const held = await stopUses(trx, c, actor.id, "consent_withdrawn");
    await audit(trx, actor, "consent_withdrawn", { type: "consent", id }, { held });
    return { held };
  });
}

/**
 * Hourly (an authorisation ends at midnight in the organisation's time zone): authorisations
 * that expired and were not yet handled do what a withdrawal does, once each. Every gate reads
 * expiry dates itself, so nothing goes out in the meantime. `at` is the moment to judge from.
 */
export async function handleExpiredConsents(db: DB, at?: Date): Promise<number> {
  const expired = await db
    .selectFrom("consent")
    .select("id")
    .where("expires_on", "<", dayOf(at))
    .where("withdrawn_at", "is", null)
    .where("expiry_handled_at", "is", null)
    .orderBy("id")
    .execute();
  let handled = 0;
  for (const { id } of expired) {
    await db.transaction().execute(async (trx) => {
      const c = await trx
        .updateTable("consent")
        .set({ expiry_handled_at: sql`now()` })
        .where("id", "=", id)
        .where("expiry_handled_at", "is", null)
        .returning(["id", "person_name", "reference"])
        .executeTakeFirst();
      // Another instance's pass took it first.
      if (!c) return;
      await stopUses(trx, c, null, "consent_expired");
      handled++;
    });
  }
  return handled;
}
