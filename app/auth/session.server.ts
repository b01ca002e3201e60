import { NodePostgresAdapter } from "@lucia-auth/adapter-postgresql";
import { Cookie, Lucia, TimeSpan, type DatabaseSession, type DatabaseUser, type Session } from "lucia";
import type { Locale, Role } from "../../db/schema";
import { pool } from "~/db.server";
import { parseSettings, type OrganisationSettings } from "~/organisation/settings.server";
import { deviceOf } from "./device";

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
  /** A confirmed TOTP authenticator (migration 20). */
  two_factor: boolean;
}

interface DatabaseSessionAttributes {
  browser?: string | null;
  platform?: string | null;
  // Read with the session, never given to createSession: the columns default to now().
  created_at?: Date;
  last_seen_at?: Date;
  password_checked_at?: Date;
  /** The organisation's settings, read by the same query (timeouts, two-factor rule). */
  settings?: OrganisationSettings;
  /** The user's unread notifications, counted by the same query for the layout's badge. */
  unread_notifications?: number;
  /** Which writes of shared content had committed when the session was read (app/utils/kept.server.ts). */
  content_version?: string;
}

declare module "lucia" {
  interface Register {
    Lucia: ReturnType<typeof createLucia>;
    DatabaseUserAttributes: DatabaseUserAttributes;
    DatabaseSessionAttributes: DatabaseSessionAttributes;
  }
}

// The settings row changes rarely: parse it again only when its text changed.
let lastSettings: { text: string | null; parsed: OrganisationSettings } | undefined;
function settingsFrom(text: string | null): OrganisationSettings {
  if (lastSettings?.text !== text) lastSettings = { text, parsed: parseSettings(text === null ? null : JSON.parse(text)) };
  return lastSettings.parsed;
}

/**
 * Every signed-in request validates its session: the stock adapter sends two queries for it, in
 * parallel (two of the pool's few connections), and reads every column of the user, password hash
 * included. One join reads what getUserAttributes needs (docs/decisions/0011-speed-through-http.md),
 * and, in the same query, what the session's own rules need: its times, whether the account has a
 * second factor, and the organisation's timeouts and two-factor rule; and the unread notifications
 * that every page's layout shows, which were a query of their own per page.
 */
class SessionAdapter extends NodePostgresAdapter {
  override async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    type Row = DatabaseUserAttributes &
      Required<Omit<DatabaseSessionAttributes, "settings">> & { user_id: string; expires_at: Date; settings: string | null };
    const { rows } = await pool().query<Row>(
      `SELECT s.user_id, s.expires_at, s.created_at, s.last_seen_at, s.password_checked_at, s.browser, s.platform,
         u.email, u.display_name, u.role, u.department_id, u.locale, u.active,
         EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL) AS two_factor,
         (SELECT count(*)::int FROM notification n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread_notifications,
         (SELECT count(*) || '.' || coalesce(max(xact)::text, '') || '.' || (SELECT generation FROM content_prune) FROM content_change) AS content_version,
         o.settings::text AS settings
       FROM user_session s JOIN app_user u ON u.id = s.user_id LEFT JOIN organisation_settings o ON o.id
       WHERE s.id = $1`,
      [sessionId],
    );
    const row = rows[0];
    if (!row) return [null, null]; // no session (a session's user cannot be missing: ON DELETE CASCADE)
    const { user_id, expires_at, created_at, last_seen_at, password_checked_at, browser, platform, settings, unread_notifications, content_version, ...attributes } =
      row;
    return [
      {
        id: sessionId,
        userId: user_id,
        expiresAt: expires_at,
        attributes: { created_at, last_seen_at, password_checked_at, browser, platform, settings: settingsFrom(settings), unread_notifications, content_version },
      },
      { id: user_id, attributes },
    ];
  }
}

function createLucia() {
  return new Lucia(new SessionAdapter(pool(), { user: "app_user", session: "user_session" }), {
    // The outer bound only: the longest lifetime the settings allow. The organisation's idle
    // timeout and lifetime are checked by readSession (sessionLive).
    sessionExpiresIn: new TimeSpan(90, "d"),
    sessionCookie: { name: "relais_session", attributes: { sameSite: "lax", secure: false } },
    getUserAttributes: (a) => ({
      email: a.email,
      displayName: a.display_name,
      role: a.role,
      departmentId: a.department_id === null ? null : Number(a.department_id),
      locale: a.locale,
      active: a.active,
      twoFactor: a.two_factor,
    }),
    getSessionAttributes: (a) => ({
      createdAt: a.created_at!,
      lastSeenAt: a.last_seen_at!,
      passwordCheckedAt: a.password_checked_at!,
      settings: a.settings!,
      unreadNotifications: a.unread_notifications ?? 0,
      contentVersion: a.content_version ?? null,
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
  const session = await lucia().createSession(userId, deviceOf(request.headers.get("User-Agent")));
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
  /** The user's unread notifications (the layout's badge), read with the session. */
  unreadNotifications: number;
  /**
   * Which writes of shared content (contributions, publications…) had committed before this request
   * read anything else: the version that kept answers are checked against (app/utils/kept.server.ts).
   */
  contentVersion: string | null;
  twoFactor: {
    enabled: boolean;
    /** The organisation requires a second factor of this account (settings.twoFactorRequired and its role). */
    required: boolean;
    /** Required, and the account has none yet. */
    missing: boolean;
  };
}

/** Roles for which the organisation may require a second factor (settings.twoFactorRequired). */
export const TWO_FACTOR_ROLES: readonly Role[] = ["admin", "comms"];

/** Unused sessions are written to at most this often: the hot path stays one read. */
export const LAST_SEEN_EVERY_MS = 60_000;

/** Whether a session is within the organisation's idle timeout and absolute lifetime. */
export function sessionLive(
  session: { createdAt: Date; lastSeenAt: Date },
  settings: Pick<OrganisationSettings, "sessionIdleMinutes" | "sessionLifetimeHours">,
  now = Date.now(),
): boolean {
  return (
    now - session.lastSeenAt.getTime() < settings.sessionIdleMinutes * 60_000 &&
    now - session.createdAt.getTime() < settings.sessionLifetimeHours * 3_600_000
  );
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
  if (!session || !user.active || !sessionLive(session, session.settings)) {
    if (session) await lucia().invalidateSession(session.id);
    return { user: null, setCookie: blankSessionCookie(request) };
  }
  if (Date.now() - session.lastSeenAt.getTime() >= LAST_SEEN_EVERY_MS) {
    await pool().query("UPDATE user_session SET last_seen_at = now() WHERE id = $1", [session.id]);
  }
  const required = session.settings.twoFactorRequired && TWO_FACTOR_ROLES.includes(user.role);
  return {
    session,
    unreadNotifications: session.unreadNotifications,
    contentVersion: session.contentVersion,
    twoFactor: { enabled: user.twoFactor, required, missing: required && !user.twoFactor },
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
