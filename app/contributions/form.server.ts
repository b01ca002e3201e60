import type { DB } from "~/db.server";
import { PhotoError } from "~/photos/pipeline.server";
import { ingestPhotos } from "~/photos/photos.server";
import { discardTemps, parseUpload, type UploadedTemp } from "~/photos/upload.server";
import { FormRefusal } from "~/utils/errors.server";
import { parseForm, type FieldErrors } from "~/utils/forms";
import { contributionFields, photoFieldName, photoFields, type ContributionFields, type PhotoFieldName, type PhotoFields, type PhotoRef } from "./schema";

/** The pipeline's refusal of a photo, shown next to the photo field (the whole form's, above it). */
export function photoRefusal(error: PhotoError): FormRefusal {
  const field = error.code === "form_too_large" ? "form" : "photos";
  return new FormRefusal({ [field]: ["common.raw", { text: error.message }] }, error.status);
}

/** Without JavaScript the editor is a plain textarea: its paragraphs become a tiptap document. */
export function plainTextToDoc(text: string): string {
  const paragraphs = text
    .replace(/\r\n?/g, "\n")
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean);
  return JSON.stringify({
    type: "doc",
    content: paragraphs.map((p) => ({
      type: "paragraph",
      content: p.split("\n").flatMap((line, i) => [...(i ? [{ type: "hardBreak" }] : []), { type: "text", text: line }]),
    })),
  });
}

export interface ContributionForm {
  form: FormData;
  files: UploadedTemp[];
  fields: ContributionFields;
  photoUpdates: { photoId: number; fields: PhotoFields }[];
  /** The details typed for each of `files`, in the same order (defaults when none were sent). */
  newPhotoFields: PhotoFields[];
  removePhotoIds: number[];
}

const PHOTO_FIELD_NAMES: PhotoFieldName[] = ["alt", "credit", "rightsStatus", "rightsScope", "rightsExpiresOn"];

/** One photo's details as posted (photo.<ref>.<field>): the data, or the messages by their field names. */
function readPhotoFields(form: FormData, ref: PhotoRef): { ok: true; data: PhotoFields } | { ok: false; errors: FieldErrors } {
  const raw = Object.fromEntries(PHOTO_FIELD_NAMES.map((field) => [field, form.get(photoFieldName(ref, field)) ?? (field === "rightsStatus" ? "unknown" : "")]));
  const one = parseForm(photoFields, raw);
  if (one.ok) return one;
  return { ok: false, errors: Object.fromEntries(Object.entries(one.errors).map(([field, msg]) => [photoFieldName(ref, field as PhotoFieldName), msg])) };
}

/**
 * Reads the contribution form (multipart, photos streamed to temp files) and validates it. On any
 * refusal the temp files are gone and a FormRefusal (a message per field) is thrown.
 */
export async function readContributionForm(request: Request, opts: { remainingPhotos: number; photoIds: number[] }): Promise<ContributionForm> {
  let upload: { form: FormData; files: UploadedTemp[] };
  try {
    upload = await parseUpload(request, { maxFiles: opts.remainingPhotos, fieldName: "photos" });
  } catch (error) {
    if (error instanceof PhotoError) throw photoRefusal(error);
    throw error;
  }
  const { form, files } = upload;
  const errors: FieldErrors = {};
  const raw = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === "string"));
  if (!raw.body && typeof raw.bodyPlain === "string" && raw.bodyPlain.trim()) raw.body = plainTextToDoc(raw.bodyPlain);
  const parsed = parseForm(contributionFields, raw);
  if (!parsed.ok) Object.assign(errors, parsed.errors);

  const removePhotoIds = form.getAll("removePhoto").map(Number).filter((id) => opts.photoIds.includes(id));
  const photoUpdates: ContributionForm["photoUpdates"] = [];
  for (const photoId of opts.photoIds) {
    if (removePhotoIds.includes(photoId)) continue;
    // A stored photo whose fields were not sent keeps its details.
    if (!form.has(photoFieldName(photoId, "alt"))) continue;
    const one = readPhotoFields(form, photoId);
    if (one.ok) photoUpdates.push({ photoId, fields: one.data });
    else Object.assign(errors, one.errors);
  }
  // New photos' details come in the same request as their files (none without JavaScript: defaults).
  const newPhotoFields: PhotoFields[] = [];
  for (let n = 0; n < files.length; n++) {
    const one = readPhotoFields(form, `new${n}`);
    if (one.ok) newPhotoFields.push(one.data);
    else Object.assign(errors, one.errors);
  }
  if (Object.keys(errors).length > 0 || !parsed.ok) {
    await discardTemps(files);
    throw new FormRefusal(errors);
  }
  return { form, files, fields: parsed.data, photoUpdates, newPhotoFields, removePhotoIds };
}

/**
 * A new contribution sent for review at once: every photo needs its alt text. Checked here, before
 * the photos are processed, so that a refusal comes fast and leaves nothing behind; the domain
 * checks again when it submits (same messages).
 */
export async function refuseUndescribedNewPhotos(input: ContributionForm): Promise<void> {
  const missing = input.newPhotoFields.flatMap((p, n) => (p.alt.trim() === "" ? [n] : []));
  if (missing.length === 0) return;
  await discardTemps(input.files);
  throw new FormRefusal({
    form: ["contributions.errors.altMissing", { positions: missing.map((n) => n + 1).join(", "), count: missing.length }],
    ...Object.fromEntries(missing.map((n) => [photoFieldName(`new${n}`, "alt"), "photos.errors.altRequired"])),
  });
}

/** Processes the uploaded photos; a refused photo becomes a message next to the photo field. */
export async function ingestUploaded(db: DB, files: UploadedTemp[]) {
  try {
    return await ingestPhotos(db, files);
  } catch (error) {
    if (error instanceof PhotoError) throw photoRefusal(error);
    throw error;
  }
}
