import { NodePostgresAdapter } from "@lucia-auth/adapter-postgresql";
import { Cookie, Lucia, TimeSpan, type DatabaseSession, type DatabaseUser, type Session } from "lucia";
import type { Locale, Role } from "../../db/schema";
import { pool } from "~/db.server";

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  departmentId: number | null;
  locale: Locale;
}

interface DatabaseUserAttributes {
  email: string;
  display_name: string;
  role: Role;
  department_id: number | string | null;
  locale: Locale;
  active: boolean;
}

declare module "lucia" {
  interface Register {
    Lucia: ReturnType<typeof createLucia>;
    DatabaseUserAttributes: DatabaseUserAttributes;
  }
}

/**
 * Every signed-in request validates its session: the stock adapter sends two queries for it, in
 * parallel (two of the pool's few connections), and reads every column of the user, password hash
 * included. One join reads what getUserAttributes needs (docs/decisions/0009-speed-through-http.md).
 */
class SessionAdapter extends NodePostgresAdapter {
  override async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const { rows } = await pool().query<DatabaseUserAttributes & { user_id: string; expires_at: Date }>(
      `SELECT s.user_id, s.expires_at, u.email, u.display_name, u.role, u.department_id, u.locale, u.active
       FROM user_session s JOIN app_user u ON u.id = s.user_id WHERE s.id = $1`,
      [sessionId],
    );
    const row = rows[0];
    if (!row) return [null, null]; // no session (a session's user cannot be missing: ON DELETE CASCADE)
    const { user_id, expires_at, ...attributes } = row;
    return [
      { id: sessionId, userId: user_id, expiresAt: expires_at, attributes: {} },
      { id: user_id, attributes },
    ];
  }
}

function createLucia() {
  return new Lucia(new SessionAdapter(pool(), { user: "app_user", session: "user_session" }), {
    sessionExpiresIn: new TimeSpan(30, "d"),
    sessionCookie: { name: "relais_session", attributes: { sameSite: "lax", secure: false } },
    getUserAttributes: (a) => ({
      email: a.email,
      displayName: a.display_name,
      role: a.role,
      departmentId: a.department_id === null ? null : Number(a.department_id),
      locale: a.locale,
      active: a.active,
    }),
  });
}

let instance: ReturnType<typeof createLucia> | undefined;
export function lucia() {
  instance ??= createLucia();
  return instance;
}

/** Cookies are Secure when the request came over HTTPS (directly or through a trusted proxy). */
function withTransport(cookie: Cookie, request: Request): string {
  const secure = new URL(request.url).protocol === "https:";
  return new Cookie(cookie.name, cookie.value, { ...cookie.attributes, secure }).serialize();
}

export async function createSessionCookie(userId: string, request: Request): Promise<string> {
  const session = await lucia().createSession(userId, {});
  return withTransport(lucia().createSessionCookie(session.id), request);
}

export function blankSessionCookie(request: Request): string {
  return withTransport(lucia().createBlankSessionCookie(), request);
}

export interface CurrentSession {
  user: SessionUser;
  session: Session;
  /** Set-Cookie to send back when Lucia extended the session, or cleared a bad one. */
  setCookie?: string;
}

/**
 * Our session id from the Cookie header. Lucia's own reader decodes every cookie and throws on a
 * bad %-encoding, even in another application's cookie on the same host (other_app=50%).
 */
function sessionIdFrom(header: string): string | null {
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1 || pair.slice(0, eq).trim() !== lucia().sessionCookieName) continue;
    const value = pair.slice(eq + 1).trim();
    // Lucia's ids are lowercase base32; anything else cannot be a session of ours.
    return /^[a-z0-9]{1,255}$/.test(value) ? value : null;
  }
  return null;
}

/** Reads the session cookie; a deactivated account has no valid session. */
export async function readSession(request: Request): Promise<CurrentSession | { user: null; setCookie?: string }> {
  const sessionId = sessionIdFrom(request.headers.get("Cookie") ?? "");
  if (!sessionId) return { user: null };
  const { session, user } = await lucia().validateSession(sessionId);
  if (!session || !user.active) {
    if (session) await lucia().invalidateSession(session.id);
    return { user: null, setCookie: blankSessionCookie(request) };
  }
  return {
    session,
    user: {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      departmentId: user.departmentId,
      locale: user.locale,
    },
    setCookie: session.fresh ? withTransport(lucia().createSessionCookie(session.id), request) : undefined,
  };
}

export async function endSession(sessionId: string): Promise<void> {
  await lucia().invalidateSession(sessionId);
}

export async function endAllSessions(userId: string): Promise<void> {
  await lucia().invalidateUserSessions(userId);
}
