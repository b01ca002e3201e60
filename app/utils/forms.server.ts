import { withoutNul } from "./forms";

const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"];

/**
 * The posted form, its values without NUL characters (see withoutNul). A body that is not a form
 * (JSON, plain text, no Content-Type) or cannot be read is answered 415 or 400, not a 500.
 * Forms with photos go through parseUpload instead, which streams files to disk.
 */
export async function readForm(request: Request): Promise<FormData> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (!FORM_TYPES.some((t) => type.startsWith(t))) throw new Response("Unsupported Media Type", { status: 415 });
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new Response("Bad Request", { status: 400 });
  }
  const clean = new FormData();
  for (const [key, value] of form) clean.append(key, withoutNul(value));
  return clean;
}
