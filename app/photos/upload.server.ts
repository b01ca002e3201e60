import { randomBytes } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import {
  MaxPartSizeExceededError,
  unstable_composeUploadHandlers,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  type UploadHandler,
} from "@remix-run/node";
import { env } from "~/env.server";
import { PhotoError, tooLargeMessage } from "./pipeline.server";
import { tmpDir } from "./storage.server";

/** A file of the request, written to disk (in tmpDir()) and not yet checked in any way. */
export interface UploadedTemp {
  path: string;
  size: number;
}

export const MAX_PHOTOS_PER_CONTRIBUTION = 10;
/**
 * Each text field of a multipart form; text is kept in memory, so it is bounded. Room for the
 * rich text's JSON, 1,000,000 characters (RICH_TEXT_MAX_JSON_LENGTH) of up to 3 bytes each, so that
 * richtext.server.ts refuses a longer text itself, with its message by the field.
 */
export const MAX_TEXT_FIELD_BYTES = 3 * 1024 * 1024;
/** All text fields of one request together. */
export const MAX_TEXT_BYTES = 4 * 1024 * 1024;
/** Parts of any kind in one request: a body without Content-Length could otherwise send endless tiny fields. */
const MAX_PARTS = 500;

export function tooManyFilesMessage(remaining: number): string {
  const base = `${MAX_PHOTOS_PER_CONTRIBUTION} photos au maximum par contribution.`;
  if (remaining >= MAX_PHOTOS_PER_CONTRIBUTION) return base;
  return remaining <= 0 ? `${base} Vous ne pouvez plus en ajouter.` : `${base} Vous pouvez encore en ajouter ${remaining}.`;
}

const FORM_TOO_LARGE = "Le formulaire est trop volumineux.";
const INTERRUPTED = "L'envoi a été interrompu ou est illisible. Réessayez.";

/**
 * Reads a multipart/form-data request, streaming each file of `fieldName` to its own temp file in
 * tmpDir(); text fields land in `form` (bounded in size). Empty file inputs (the part a browser
 * sends with filename "" when nothing was chosen) are ignored; a chosen 0-byte file is kept, for
 * the pipeline to refuse with its own message.
 *
 * `maxFiles` is how many photos the caller still accepts. More files, a file over `maxFileBytes`
 * (default env().MAX_UPLOAD_MB) or oversized text throw a PhotoError, and then every temp file of
 * the request is already removed; so does a body cut short (code "corrupt"). A request that is not
 * multipart/form-data throws Remix's TypeError. On success the caller owns the temp files: process
 * them, then discardTemps() in a finally.
 */
export async function parseUpload(
  request: Request,
  options: { maxFiles: number; fieldName: string; maxFileBytes?: number },
): Promise<{ form: FormData; files: UploadedTemp[] }> {
  const maxFileBytes = options.maxFileBytes ?? env().MAX_UPLOAD_MB * 1024 * 1024;
  const tooLarge = () => new PhotoError("too_large", tooLargeMessage(formatMb(maxFileBytes)), 413);

  // Refuse at once what cannot fit, before reading a byte (when the client announces a length).
  const declared = Number(request.headers.get("content-length"));
  const ceiling = Math.max(options.maxFiles, 0) * (maxFileBytes + 64 * 1024) + MAX_TEXT_BYTES + 64 * 1024;
  if (Number.isFinite(declared) && declared > ceiling) {
    throw options.maxFiles > 0 ? tooLarge() : new PhotoError("too_many_files", tooManyFilesMessage(0));
  }

  const directory = tmpDir();
  // Every temp path this request created, kept or not, so that a failure can remove them all.
  const created = new Set<string>();
  const files: UploadedTemp[] = [];
  let textBytes = 0;

  const fileHandler: UploadHandler = async ({ name, filename, data }) => {
    if (filename === undefined && name !== options.fieldName) return undefined; // a text field
    // Browsers send filename="" for an untouched file input (Node's FormData drops the filename
    // instead); a file under another field name is not ours either.
    if (!filename || name !== options.fieldName) {
      // Not a photo of ours: still read to the end, or the parser would buffer it in memory.
      await drain(data, maxFileBytes, tooLarge);
      return undefined;
    }
    if (files.length >= options.maxFiles) {
      throw new PhotoError("too_many_files", tooManyFilesMessage(options.maxFiles));
    }
    // Random name: nothing from the request (file name, type) reaches the file system.
    const filePath = path.join(directory, `upload-${randomBytes(16).toString("hex")}`);
    created.add(filePath);
    const size = await writeStreamed(data, filePath, maxFileBytes, tooLarge);
    files.push({ path: filePath, size });
    // The caller reads the temp files from `files`; the form keeps no entry for them (Node 24's
    // FormData accepts only real Blobs, and a Blob would have to read the file).
    return undefined;
  };

  const textHandler = unstable_createMemoryUploadHandler({
    maxPartSize: MAX_TEXT_FIELD_BYTES,
    // Parts of fieldName were all read by fileHandler (kept or ignored): never text.
    filter: ({ filename, name }) => filename === undefined && name !== options.fieldName,
  });
  const boundedTextHandler: UploadHandler = async (part) => {
    const value = await textHandler(part);
    if (typeof value === "string") {
      textBytes += Buffer.byteLength(value);
      if (textBytes > MAX_TEXT_BYTES) throw new PhotoError("form_too_large", FORM_TOO_LARGE, 413);
    }
    return value;
  };

  const composed = unstable_composeUploadHandlers(fileHandler, boundedTextHandler);
  let parts = 0;
  const countedHandler: UploadHandler = async (part) => {
    if (++parts > MAX_PARTS) throw new PhotoError("form_too_large", FORM_TOO_LARGE, 413);
    return composed(part);
  };

  if (!(request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data")) {
    // A form posted without its files' encoding (a script, or a broken client): say so, never a 500.
    throw new PhotoError("unsupported", "Le formulaire doit être envoyé en multipart/form-data.", 415);
  }
  try {
    const form = await unstable_parseMultipartFormData(request, countedHandler);
    return { form, files };
  } catch (error) {
    await discardTemps([...created].map((p) => ({ path: p, size: 0 })));
    if (error instanceof PhotoError) throw error;
    if (error instanceof MaxPartSizeExceededError) throw new PhotoError("form_too_large", FORM_TOO_LARGE, 413);
    // The multipart parser's own errors: a body cut short (interrupted upload) or malformed (no
    // boundary, a part without a name).
    if (error instanceof Error && /^(malformed (multipart|content-disposition)|Could not parse content as FormData)/i.test(error.message)) {
      throw new PhotoError("corrupt", INTERRUPTED);
    }
    throw error;
  }
}

/** Removes upload temp files; missing ones are fine (already processed or removed). */
export async function discardTemps(files: readonly UploadedTemp[]): Promise<void> {
  await Promise.all(files.map((file) => fsp.rm(file.path, { force: true })));
}

/**
 * Streams a part to disk, waiting for the disk when it is slower than the network: Remix's own
 * file handler writes without waiting, which can pile a whole upload up in memory.
 */
async function writeStreamed(
  data: AsyncIterable<Uint8Array>,
  filePath: string,
  maxBytes: number,
  tooLarge: () => PhotoError,
): Promise<number> {
  const out = fs.createWriteStream(filePath, { flags: "wx", mode: 0o600 });
  const failed = new Promise<never>((_, reject) => out.once("error", reject));
  failed.catch(() => {}); // observed below; avoids an unhandled rejection in the meantime
  let size = 0;
  try {
    for await (const chunk of data) {
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge();
      if (!out.write(chunk)) await Promise.race([once(out, "drain"), failed]);
    }
    out.end();
    await Promise.race([once(out, "finish"), failed]);
    return size;
  } catch (error) {
    // Closed before removed: a stream still opening its file would create it after the removal.
    if (!out.closed) {
      const closed = once(out, "close").catch(() => {});
      out.destroy();
      await closed;
    }
    await fsp.rm(filePath, { force: true });
    throw error;
  }
}

async function drain(data: AsyncIterable<Uint8Array>, maxBytes: number, tooLarge: () => PhotoError): Promise<void> {
  let size = 0;
  for await (const chunk of data) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge();
  }
}

function formatMb(bytes: number): string {
  return new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 }).format(bytes / (1024 * 1024));
}
