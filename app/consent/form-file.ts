import type { ConsentFormType } from "../../db/schema";

/** A signed form's size limit. */
export const MAX_FORM_BYTES = 10 * 1024 * 1024;

/** Bytes to read from the start of a file to know its type. */
export const SIGNATURE_BYTES = 8;

const EXTENSIONS: Record<ConsentFormType, string> = { "application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png" };

/**
 * The type of a signed form from its first bytes (PDF, JPEG or PNG), or null for anything else.
 * The name and the type the browser sent are never trusted: a script renamed .pdf is not a PDF.
 */
export function formTypeOf(head: Uint8Array): ConsentFormType | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return "application/pdf"; // %PDF-
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  return null;
}

export function extensionOf(type: ConsentFormType): string {
  return EXTENSIONS[type];
}
