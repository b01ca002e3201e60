import { data } from "@remix-run/node";
import type { FieldErrors } from "./forms";

/**
 * A rule of the domain refused the user's input. `key` is a translation key; `field` names the form
 * field the message belongs next to. Routes turn it into a 4xx answer, with nothing stored.
 */
export class UserError extends Error {
  constructor(
    public key: string,
    public field = "form",
    public status = 400,
    public params?: Record<string, unknown>,
  ) {
    super(key);
  }
}

/** Several fields refused at once (a whole form), answered with a 4xx and nothing stored. */
export class FormRefusal extends Error {
  constructor(
    public errors: FieldErrors,
    public status = 400,
  ) {
    super("form refused");
  }
}

export function fieldErrors(errors: FieldErrors, status = 400) {
  return data({ ok: false as const, errors }, { status });
}

/**
 * Runs a domain call; a UserError or FormRefusal becomes the action's 4xx answer with each message
 * by its field (actions must return these, not throw them, for the form to show them).
 */
export async function attempt<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | ReturnType<typeof fieldErrors>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (error instanceof FormRefusal) return fieldErrors(error.errors, error.status);
    if (!(error instanceof UserError)) throw error;
    return fieldErrors({ [error.field]: error.params ? [error.key, error.params] : error.key }, error.status);
  }
}

/** A positive integer id from the URL, or 404. */
export function idParam(value: string | undefined): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Response("Not Found", { status: 404 });
  return id;
}

/** A unique index refused the write (two requests raced past a check): answer with `error`. */
export async function onUniqueViolation<T>(error: UserError, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (cause) {
    if ((cause as { code?: string }).code === "23505") throw error;
    throw cause;
  }
}
