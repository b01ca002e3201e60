import type { DB } from "~/db.server";
import { PhotoError } from "~/photos/pipeline.server";
import { ingestPhotos } from "~/photos/photos.server";
import { discardTemps, parseUpload, type UploadedTemp } from "~/photos/upload.server";
import { FormRefusal } from "~/utils/errors.server";
import { parseForm, type FieldErrors } from "~/utils/forms";
import { contributionFields, photoFields, type ContributionFields, type PhotoFields } from "./schema";

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
  removePhotoIds: number[];
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
    const prefix = `photo.${photoId}.`;
    if (!form.has(`${prefix}alt`)) continue;
    const one = parseForm(photoFields, {
      alt: form.get(`${prefix}alt`) ?? "",
      credit: form.get(`${prefix}credit`) ?? "",
      rightsStatus: form.get(`${prefix}rightsStatus`) ?? "unknown",
      rightsScope: form.get(`${prefix}rightsScope`) ?? "",
      rightsExpiresOn: form.get(`${prefix}rightsExpiresOn`) ?? "",
    });
    if (one.ok) photoUpdates.push({ photoId, fields: one.data });
    else for (const [field, msg] of Object.entries(one.errors)) errors[`${prefix}${field}`] = msg;
  }
  if (Object.keys(errors).length > 0 || !parsed.ok) {
    await discardTemps(files);
    throw new FormRefusal(errors);
  }
  return { form, files, fields: parsed.data, photoUpdates, removePhotoIds };
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
