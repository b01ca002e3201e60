import { withoutNul } from "./forms";

const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"];

/**
 * Largest form body read into memory: a comms edit carries the rich text's JSON (up to 1,000,000
 * characters, RICH_TEXT_MAX_JSON_LENGTH, URL-encoded). Forms with photos go through parseUpload instead, which streams files
 * to disk.
 */
export const MAX_FORM_BYTES = 8 * 1024 * 1024;

/** The body, read up to `limit` bytes; null beyond it (the rest is not read). */
async function readBounded(request: Request, limit: number): Promise<Buffer | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * The posted form, its values without NUL characters (see withoutNul). A body that is not a form
 * (JSON, plain text, no Content-Type) is answered 415, one too large 413, one that cannot be read
 * 400: never a 500, and never more than MAX_FORM_BYTES held in memory.
 */
export async function readForm(request: Request): Promise<FormData> {
  const type = request.headers.get("content-type") ?? "";
  if (!FORM_TYPES.some((t) => type.toLowerCase().startsWith(t))) throw new Response("Unsupported Media Type", { status: 415 });
  if (Number(request.headers.get("content-length")) > MAX_FORM_BYTES) throw new Response("Payload Too Large", { status: 413 });
  let form: FormData;
  try {
    const body = await readBounded(request, MAX_FORM_BYTES);
    if (body === null) throw new Response("Payload Too Large", { status: 413 });
    form = await new Request(request.url, { method: "POST", body: new Uint8Array(body), headers: { "content-type": type } }).formData();
  } catch (error) {
    if (error instanceof Response) throw error;
    throw new Response("Bad Request", { status: 400 });
  }
  const clean = new FormData();
  for (const [key, value] of form) clean.append(key, withoutNul(value));
  return clean;
}
