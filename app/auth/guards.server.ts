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

/** The signed-in user, or a redirect to the sign-in page that comes back here afterwards. */
export async function requireUser(request: Request): Promise<SessionUser> {
  const user = await getOptionalUser(request);
  if (!user) {
    const url = new URL(request.url);
    const back = url.pathname + url.search;
    throw redirect(back === "/" ? "/login" : `/login?redirectTo=${encodeURIComponent(back)}`);
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
