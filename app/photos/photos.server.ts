import { sql, type Transaction } from "kysely";
import type { Actor } from "~/auth/actor";
import type { Database, DB } from "~/db.server";
import { audit } from "~/privacy/audit.server";
import type { PhotoFields } from "~/contributions/schema";
import { FormRefusal, UserError } from "~/utils/errors.server";
import { processPhoto, type ProcessedPhoto } from "./pipeline.server";
import { storage } from "./storage.server";
import { deleteUnreferenced, lockFiles } from "./sweeper.server";
import { discardTemps, type UploadedTemp } from "./upload.server";


/**
 * Runs every uploaded file through the pipeline. All or nothing: when one file is refused, the
 * renditions already written for the others are removed (unless a row already uses them) and the
 * PhotoError goes up. The temp files are always removed.
 */
export async function ingestPhotos(db: DB, files: UploadedTemp[]): Promise<ProcessedPhoto[]> {
  const done: ProcessedPhoto[] = [];
  try {
    for (const file of files) done.push(await processPhoto(file.path, storage()));
    return done;
  } catch (error) {
    await forgetPhotos(db, done);
    throw error;
  } finally {
    await discardTemps(files);
  }
}

/**
 * Undo for files written before a transaction that then failed: only the files this request
 * created, so that a concurrent upload of the same image keeps the ones it relies on.
 */
export async function forgetPhotos(db: DB, photos: ProcessedPhoto[]): Promise<void> {
  await removeFiles(db, photos.flatMap((p) => p.createdKeys));
}

/**
 * Appends photo rows after the existing ones, in the order given. Their files were written
 * before; if the same image was deleted elsewhere meanwhile (shared, content-addressed files),
 * they may be gone: refused then, to be sent again, rather than a row pointing at nothing.
 * Returns the new rows' ids, in the order given.
 */
export async function insertPhotos(trx: Transaction<Database>, contributionId: number, photos: ProcessedPhoto[]): Promise<number[]> {
  if (photos.length === 0) return [];
  const keys = photos.flatMap((p) => [p.masterKey, ...p.renditions.map((r) => r.key)]);
  await lockFiles(trx, keys, "shared");
  const present = await Promise.all(keys.map((key) => storage().exists(key)));
  if (present.includes(false)) throw new UserError("photos.errors.vanished", "photos", 409);
  const { next } = await trx
    .selectFrom("photo")
    .select(sql<number>`coalesce(max(position), -1)::int + 1`.as("next"))
    .where("contribution_id", "=", contributionId)
    .executeTakeFirstOrThrow();
  const ids = await trx
    .insertInto("photo")
    .values(
      photos.map((p, i) => ({
        contribution_id: contributionId,
        position: next + i,
        master_key: p.masterKey,
        width: p.width,
        height: p.height,
        bytes: p.bytes,
        placeholder: p.placeholder,
      })),
    )
    .returning("id")
    .execute()
    .then((rows) => rows.map((r) => r.id));
  const renditions = photos.flatMap((p, i) =>
    p.renditions.map((r) => ({ photo_id: ids[i], kind: r.kind, width: r.width, height: r.height, bytes: r.bytes, file_key: r.key })),
  );
  if (renditions.length > 0) await trx.insertInto("photo_rendition").values(renditions).execute();
  return ids;
}

export async function photoCount(db: DB, contributionId: number): Promise<number> {
  const row = await db
    .selectFrom("photo")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("contribution_id", "=", contributionId)
    .executeTakeFirstOrThrow();
  return row.n;
}

/**
 * Every photo of a contribution needs its alt text to be sent for review and to be approved
 * (DESIGN.md: "required before approval"). Otherwise refused: `summary` (a translation key given the photos'
 * positions and count) for the form, and a message by each photo's alt field, named `field(id)`.
 */
export async function assertAltTexts(db: DB, contributionId: number, summary: string, field: (photoId: number) => string): Promise<void> {
  const missing = (await listPhotos(db, contributionId)).filter((p) => p.alt_text.trim() === "");
  if (missing.length === 0) return;
  throw new FormRefusal({
    form: [summary, { positions: missing.map((p) => p.position + 1).join(", "), count: missing.length }],
    ...Object.fromEntries(missing.map((p) => [field(p.id), "photos.errors.altRequired"])),
  });
}

export async function listPhotos(db: DB, contributionId: number) {
  return db
    .selectFrom("photo")
    .select([
      "id",
      "position",
      "width",
      "height",
      "placeholder",
      "alt_text",
      "credit",
      "rights_status",
      "rights_scope",
      "rights_expires_on",
      "rights_withdrawn_at",
    ])
    .where("contribution_id", "=", contributionId)
    .orderBy("position")
    .execute();
}

/**
 * Alt text, credit and image rights of a photo of `contributionId` (404 for a photo of another one).
 * A change of its image rights (status, scope or end date) goes to the audit log.
 */
export async function updatePhotoFields(trx: Transaction<Database>, actor: Actor, contributionId: number, photoId: number, fields: PhotoFields): Promise<void> {
  const before = await trx
    .selectFrom("photo as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .select(["p.rights_status", "p.rights_scope", "p.rights_expires_on", "c.department_id"])
    .where("p.id", "=", photoId)
    .where("p.contribution_id", "=", contributionId)
    .executeTakeFirst();
  if (!before) throw new Response("Not Found", { status: 404 });
  const rights = {
    rights_status: fields.rightsStatus,
    rights_scope: fields.rightsStatus === "authorised" ? fields.rightsScope : null,
    rights_expires_on: fields.rightsStatus === "authorised" ? fields.rightsExpiresOn : null,
  };
  await trx
    .updateTable("photo")
    .set({ alt_text: fields.alt, credit: fields.credit, ...rights })
    .where("id", "=", photoId)
    .execute();
  if (before.rights_status !== rights.rights_status || before.rights_scope !== rights.rights_scope || (before.rights_expires_on ?? null) !== (rights.rights_expires_on ?? null)) {
    await audit(trx, actor, "photo_rights_changed", { type: "photo", id: photoId, departmentId: before.department_id }, {
      contribution: contributionId,
      from: before.rights_status,
      to: rights.rights_status,
      scope: rights.rights_scope,
      until: rights.rights_expires_on ?? null,
    });
  }
}

/**
 * Deletes photo rows and returns their file keys. Call removeFiles() with them once the
 * transaction has committed: a rolled-back delete must still find its files.
 */
export async function deletePhotoRows(trx: Transaction<Database>, where: { contributionId: number; photoId?: number }): Promise<string[]> {
  let query = trx.deleteFrom("photo").where("contribution_id", "=", where.contributionId);
  if (where.photoId !== undefined) query = query.where("id", "=", where.photoId);
  // Their renditions' rows go with them (ON DELETE CASCADE): read their keys first.
  const renditions = await trx
    .selectFrom("photo_rendition as r")
    .innerJoin("photo as p", "p.id", "r.photo_id")
    .select("r.file_key")
    .where("p.contribution_id", "=", where.contributionId)
    .$if(where.photoId !== undefined, (q) => q.where("p.id", "=", where.photoId!))
    .execute();
  const removed = await query.returning(["master_key"]).execute();
  return [...removed.map((r) => r.master_key), ...renditions.map((r) => r.file_key)];
}

/** Removes the files of deleted rows that no remaining row points at (files are shared by content). */
export async function removeFiles(db: DB, keys: string[]): Promise<void> {
  await deleteUnreferenced(db, storage(), keys);
}
