import { sql, type Transaction } from "kysely";
import type { ContributionStatus } from "../../db/schema";
import type { Actor } from "~/auth/actor";
import type { Database, DB } from "~/db.server";
import type { ProcessedPhoto } from "~/photos/pipeline.server";
import { assertAltTexts, deletePhotoRows, forgetPhotos, insertPhotos, listPhotos, photoCount, removeFiles, updatePhotoFields } from "~/photos/photos.server";
import { organisationTimeZone } from "~/organisation/calendar.server";
import { localInstant } from "~/publishing/queue-view.server";
import { UserError } from "~/utils/errors.server";
import { addEvent, listEvents } from "./history.server";
import { renderRichText } from "./richtext.server";
import { AUTHOR_EDITABLE, MAX_PHOTOS, photoFieldName, WRITERS, type ContributionFields, type PhotoFields } from "./schema";
import { canView } from "./visibility.server";
import { notifyComms } from "~/notifications/notifications.server";


function rendered(body: string) {
  const result = renderRichText(body);
  if (!result.ok) throw new UserError("common.raw", "body", 400, { text: result.error });
  return result;
}

function columns(fields: ContributionFields) {
  const body = rendered(fields.body);
  return {
    title: fields.title,
    body_json: JSON.stringify(body.json),
    body_html: body.html,
    body_text: body.text,
    tags: fields.tags,
    event_date: fields.eventDate ?? null,
    place: fields.place ?? null,
    embargo_until: fields.embargo ? localInstant(fields.embargo, organisationTimeZone()) : null,
    visibility_wish: fields.visibilityWish,
    propose_external: fields.proposeExternal,
  };
}

/**
 * Inserts photos already processed, with the details typed for them (same order), and returns
 * their ids.
 */
async function addPhotos(trx: Transaction<Database>, actor: Actor, contributionId: number, photos: ProcessedPhoto[], details: PhotoFields[] = []): Promise<number[]> {
  const ids = await insertPhotos(trx, contributionId, photos);
  for (const [i, photoId] of ids.entries()) if (details[i]) await updatePhotoFields(trx, actor, contributionId, photoId, details[i]);
  return ids;
}

/**
 * Creates a draft in the author's department with its photos (already processed and on disk) and
 * their details, and optionally sends it for review at once. Nothing is stored when anything is
 * refused (submission included); the photos' files are removed then too.
 */
export async function createContribution(
  db: DB,
  author: Actor,
  fields: ContributionFields,
  photos: ProcessedPhoto[] = [],
  opts: { photoFields?: PhotoFields[]; submit?: boolean } = {},
): Promise<number> {
  try {
    if (!WRITERS.includes(author.role)) throw new Response("Forbidden", { status: 403 });
    if (author.departmentId === null) throw new UserError("contributions.errors.noDepartment");
    if (photos.length > MAX_PHOTOS) throw new UserError("contributions.errors.tooManyPhotos", "photos");
    const values = columns(fields);
    return await db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto("contribution")
        .values({ ...values, author_id: author.id, department_id: author.departmentId! })
        .returning("id")
        .executeTakeFirstOrThrow();
      const photoIds = await addPhotos(trx, author, id, photos, opts.photoFields);
      await addEvent(trx, { contributionId: id, actorId: author.id, kind: "created" });
      if (opts.submit) await submitLocked(trx, author, { id, status: "draft", title: values.title }, photoIds);
      return id;
    });
  } catch (error) {
    await forgetPhotos(db, photos);
    throw error;
  }
}

/** The row, locked for the rest of the transaction, or 404 when the actor may not see it. */
export async function lockForActor(trx: Transaction<Database>, actor: Actor, id: number) {
  const row = await trx.selectFrom("contribution").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
  if (!row || !canView(actor, row)) throw new Response("Not Found", { status: 404 });
  return row;
}

function assertAuthor(actor: Actor, row: { author_id: string }) {
  if (row.author_id !== actor.id) throw new Response("Forbidden", { status: 403 });
}

export interface AuthorEdit {
  fields: ContributionFields;
  newPhotos?: ProcessedPhoto[];
  /** The details typed for newPhotos, in the same order. */
  newPhotoFields?: PhotoFields[];
  photoUpdates?: { photoId: number; fields: PhotoFields }[];
  removePhotoIds?: number[];
  /** Send for review in the same transaction: when that is refused, nothing of the edit is kept. */
  submit?: boolean;
}

/**
 * The author edits while it is a draft, in review (it stays in review) or sent back for changes:
 * text, photo details, photos added or removed, and optionally submission, all or nothing.
 */
export async function saveByAuthor(db: DB, author: Actor, id: number, edit: AuthorEdit): Promise<void> {
  const newPhotos = edit.newPhotos ?? [];
  try {
    const values = columns(edit.fields);
    const removedKeys = await db.transaction().execute(async (trx) => {
      const row = await lockForActor(trx, author, id);
      assertAuthor(author, row);
      if (!AUTHOR_EDITABLE.includes(row.status)) throw new UserError("contributions.errors.notEditable", "form", 409);
      const removedKeys: string[] = [];
      for (const photoId of edit.removePhotoIds ?? []) {
        removedKeys.push(...(await deletePhotoRows(trx, { contributionId: id, photoId })));
      }
      for (const u of edit.photoUpdates ?? []) await updatePhotoFields(trx, author, id, u.photoId, u.fields);
      if ((await photoCount(trx, id)) + newPhotos.length > MAX_PHOTOS) {
        throw new UserError("contributions.errors.tooManyPhotos", "photos");
      }
      await trx
        .updateTable("contribution")
        .set({ ...values, version: sql`version + 1`, updated_at: sql`now()` })
        .where("id", "=", id)
        .execute();
      // In review, a photo added (its description comes with the next save) waits for it: approval
      // requires every alt text (review.server.ts).
      const newIds = await addPhotos(trx, author, id, newPhotos, edit.newPhotoFields);
      if (edit.submit) await submitLocked(trx, author, { ...row, title: values.title }, newIds);
      return removedKeys;
    });
    await removeFiles(db, removedKeys);
  } catch (error) {
    await forgetPhotos(db, newPhotos);
    throw error;
  }
}

/**
 * `newIds` are the photos inserted by this same request: in the form they are still the chosen
 * files (photo.new<n>.alt), so their messages go there.
 */
async function submitLocked(trx: Transaction<Database>, author: Actor, row: { id: number; status: ContributionStatus; title: string }, newIds: number[] = []) {
  if (row.status !== "draft" && row.status !== "changes_requested") {
    throw new UserError("contributions.errors.notSubmittable", "form", 409);
  }
  const altField = (photoId: number) => photoFieldName(newIds.includes(photoId) ? `new${newIds.indexOf(photoId)}` : photoId, "alt");
  await assertAltTexts(trx, row.id, "contributions.errors.altMissing", altField);
  await trx
    .updateTable("contribution")
    .set({ status: "submitted", submitted_at: sql`now()`, version: sql`version + 1`, updated_at: sql`now()` })
    .where("id", "=", row.id)
    .execute();
  await addEvent(trx, { contributionId: row.id, actorId: author.id, kind: "submitted" });
  await notifyComms(trx, { kind: "submitted", contributionId: row.id, link: `/contributions/${row.id}`, actorId: author.id, title: row.title });
}

/** Draft or changes requested → in review. Every photo needs its alt text first. */
export async function submitContribution(db: DB, author: Actor, id: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await lockForActor(trx, author, id);
    assertAuthor(author, row);
    await submitLocked(trx, author, row);
  });
}

/** In review → back to draft, by its author. */
export async function withdrawContribution(db: DB, author: Actor, id: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await lockForActor(trx, author, id);
    assertAuthor(author, row);
    if (row.status !== "submitted") throw new UserError("contributions.errors.notWithdrawable", "form", 409);
    await trx
      .updateTable("contribution")
      .set({ status: "draft", submitted_at: null, version: sql`version + 1`, updated_at: sql`now()` })
      .where("id", "=", id)
      .execute();
    await addEvent(trx, { contributionId: id, actorId: author.id, kind: "withdrawn" });
  });
}

/** The author deletes a draft or a rejected contribution; its photo files go with it. */
export async function deleteContribution(db: DB, author: Actor, id: number): Promise<void> {
  const keys = await db.transaction().execute(async (trx) => {
    const row = await lockForActor(trx, author, id);
    assertAuthor(author, row);
    if (row.status !== "draft" && row.status !== "rejected") throw new UserError("contributions.errors.notDeletable", "form", 409);
    const keys = await deletePhotoRows(trx, { contributionId: id });
    await trx.deleteFrom("contribution").where("id", "=", id).execute();
    return keys;
  });
  await removeFiles(db, keys);
}

/**
 * A contribution with its author's and department's names, photos, history and who thanked it, as
 * anyone who may see it sees it; null when there is none. Nothing here is checked: see getContribution.
 */
export async function contributionDetails(db: DB, id: number) {
  const row = await db
    .selectFrom("contribution as c")
    .innerJoin("app_user as a", "a.id", "c.author_id")
    .innerJoin("department as d", "d.id", "c.department_id")
    .select([
      "c.id",
      "c.title",
      "c.body_html",
      "c.body_json",
      "c.tags",
      "c.event_date",
      "c.place",
      "c.status",
      "c.visibility",
      "c.visibility_wish",
      "c.propose_external",
      "c.external_eligible",
      "c.version",
      "c.author_id",
      "c.department_id",
      "c.submitted_at",
      "c.approved_at",
      "c.embargo_until",
      "c.created_at",
      "c.updated_at",
      "a.display_name as author_name",
      "d.name as department_name",
    ])
    .select(sql<string[]>`(SELECT coalesce(array_agg(t.user_id), '{}') FROM thanks t WHERE t.contribution_id = c.id)`.as("thankers"))
    .where("c.id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  const [photos, history] = await Promise.all([listPhotos(db, id), listEvents(db, id)]);
  return { ...row, photos, history };
}

/** Everything a contribution page shows, with the viewer's thanks, or 404 when the viewer may not see it. */
export async function getContribution(db: DB, viewer: Actor, id: number) {
  return withViewer(await contributionDetails(db, id), viewer);
}

/** contributionDetails as `viewer` sees them: 404 when they may not, how many thanked and whether they did. */
export function withViewer<C extends NonNullable<Awaited<ReturnType<typeof contributionDetails>>>>(found: C | null, viewer: Actor) {
  if (!found || !canView(viewer, found)) throw new Response("Not Found", { status: 404 });
  const { thankers, ...c } = found;
  return { ...c, thanks: thankers.length, thanked: thankers.includes(viewer.id) };
}
