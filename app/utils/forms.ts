import type { z } from "zod";

/** A message for the user: a translation key, or a key and its parameters. */
export type Msg = string | [string, Record<string, unknown>];
export type FieldErrors = Record<string, Msg>;

/**
 * Without NUL characters, which PostgreSQL refuses in text (and nobody types): a pasted or forged
 * value is stored without them rather than failing the request.
 */
export function withoutNul<T>(value: T): T {
  return (typeof value === "string" && value.includes("\0") ? value.replaceAll("\0", "") : value) as T;
}

/**
 * Validates a form against a zod schema whose messages are translation keys; returns the data or
 * one message key per field (the first), for the form to show next to each field.
 */
export function parseForm<S extends z.ZodType>(
  schema: S,
  form: FormData | Record<string, unknown>,
): { ok: true; data: z.infer<S> } | { ok: false; errors: FieldErrors } {
  const input = Object.fromEntries(Object.entries(form instanceof FormData ? Object.fromEntries(form) : form).map(([k, v]) => [k, withoutNul(v)]));
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? "form");
    // zod's own messages (type errors) are not keys: fall back to a generic one.
    errors[field] ??= issue.message.includes(".") && !issue.message.includes(" ") ? issue.message : "errors.400";
  }
  return { ok: false, errors };
}
