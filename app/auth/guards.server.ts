import { redirect } from "@remix-run/node";
import type { Role } from "../../db/schema";
import { readSession, type SessionUser } from "./session.server";

// Root and route loaders of one request share the same Request: read the session once.
const cache = new WeakMap<Request, ReturnType<typeof readSession>>();

export function getSession(request: Request): ReturnType<typeof readSession> {
  let found = cache.get(request);
  if (!found) {
    found = readSession(request);
    cache.set(request, found);
  }
  return found;
}

export async function getOptionalUser(request: Request): Promise<SessionUser | null> {
  return (await getSession(request)).user;
}

/** The content version read with the request's session, for kept answers (app/utils/kept.server.ts); null when signed out. */
export async function contentVersion(request: Request): Promise<string | null> {
  const current = await getSession(request);
  return current.user ? current.contentVersion : null;
}

/** Where a person sets up their second factor (and the one page open while it is required and missing). */
export const SECURITY_PATH = "/settings/security";

/** The pages a person the organisation requires to enrol may open before they have (and sign-out). */
const OPEN_WHILE_ENROLLING = new Set([SECURITY_PATH, "/confirm-password"]);

/** This page's address to come back to: its path and query, without Remix's own `index` and `_data`. */
function returnPath(request: Request): string {
  const url = new URL(request.url);
  url.searchParams.delete("index");
  url.searchParams.delete("_data");
  return url.pathname + url.search;
}

/**
 * The signed-in user, or a redirect to the sign-in page that comes back here afterwards. When the
 * organisation requires a second factor of this account and it has none, every page but the
 * security page sends there: the account can do nothing else until it is set up.
 */
export async function requireUser(request: Request): Promise<SessionUser> {
  const current = await getSession(request);
  if (!current.user) {
    const back = returnPath(request);
    throw redirect(back === "/" ? "/login" : `/login?redirectTo=${encodeURIComponent(back)}`);
  }
  if ("twoFactor" in current && current.twoFactor.missing && !OPEN_WHILE_ENROLLING.has(new URL(request.url).pathname)) {
    throw redirect(SECURITY_PATH);
  }
  return current.user;
}

/** A sensitive action asks for the password again when the session's last check is older than this. */
export const RECENT_AUTH_MINUTES = 15;

/**
 * For sensitive actions (two-factor changes, channel secrets, export, account closure): the
 * signed-in user when this session checked their password less than 15 minutes ago; otherwise a
 * redirect to the password confirmation page, which comes back here afterwards. It comes back with
 * a GET: a form refused this way is sent again by the person, never replayed for them.
 */
export async function requireRecentAuth(request: Request): Promise<SessionUser> {
  const user = await requireUser(request);
  const current = await getSession(request);
  const checked = "session" in current ? current.session.passwordCheckedAt.getTime() : 0;
  if (Date.now() - checked >= RECENT_AUTH_MINUTES * 60_000) {
    throw redirect(`/confirm-password?redirectTo=${encodeURIComponent(returnPath(request))}`);
  }
  return user;
}

export function forbidden(): Response {
  return new Response("Forbidden", { status: 403, statusText: "Forbidden" });
}

/** The signed-in user if their role is one of `roles`; otherwise a 403 page. */
export async function requireRole(request: Request, ...roles: Role[]): Promise<SessionUser> {
  const user = await requireUser(request);
  if (!roles.includes(user.role)) throw forbidden();
  return user;
}

/** Only same-site paths: an open redirect through ?redirectTo= is not possible. */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  return to;
}
