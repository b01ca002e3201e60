import net from "node:net";
import { z } from "zod";

// The only reader of process.env. Every setting is checked at once by the entries (server, worker,
// CLI: configurationOrExit), so that a wrong value stops the start with a message naming it rather
// than failing the first request that reads it.

/**
 * A setting read from its text: empty or absent gives `fallback`; a value `read` cannot make
 * sense of is refused with `expected`, which says in French what it should be.
 */
function setting<T>(expected: string, read: (raw: string) => T | undefined, fallback: T) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      const text = raw?.trim();
      if (!text) return fallback;
      const value = read(text);
      if (value === undefined) {
        ctx.addIssue({ code: "custom", message: expected });
        return z.NEVER;
      }
      return value;
    });
}

function integer(min: number, max: number) {
  return (raw: string) => (/^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max ? Number(raw) : undefined);
}

const FLAGS: Record<string, boolean> = { true: true, "1": true, yes: true, on: true, false: false, "0": false, no: false, off: false };
const flag = (raw: string) => FLAGS[raw.toLowerCase()];
const FLAG = "true ou false (ou 1/0)";

/** Express's proxy names and IPv4/IPv6 addresses or subnets (10.0.0.0/8, fd00::/8). */
function proxyAddress(entry: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split("/");
  const family = net.isIP(address);
  if (!family || rest.length) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * An IANA zone name ("Europe/Paris", "America/New_York", "UTC"), as Intl spells it. Intl refuses the
 * names it does not know; offsets ("+01:00") are refused too, as PostgreSQL reads them the other way round.
 */
export function parseTimeZone(raw: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(raw)) return undefined;
  try {
    return new Intl.DateTimeFormat("en", { timeZone: raw }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export type TrustProxy = boolean | number | string[];

/**
 * What express's `trust proxy` expects: a hop count, true/false, or addresses. Express reads the
 * string "1" as an address, so the documented TRUST_PROXY=1 must become the number 1.
 */
export function parseTrustProxy(raw: string): TrustProxy | undefined {
  const value = raw.trim();
  if (value === "true" || value === "false") return value === "true";
  if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value) <= 100 ? Number(value) : undefined;
  const entries = value.split(",").map((e) => e.trim());
  return entries.every(proxyAddress) ? entries : undefined;
}

const schema = z.object({
  NODE_ENV: setting("development, production ou test", (r) => (["development", "production", "test"] as const).find((m) => m === r), "production"),
  DATABASE_URL: setting<string | undefined>(
    "une adresse postgres://utilisateur:mot-de-passe@hôte:5432/base",
    (r) => (/^postgres(ql)?:\/\//.test(r) ? r : undefined),
    undefined,
  ),
  /** Connections of the app's pool; by default twice the cores plus one (db/pool.ts). */
  DATABASE_POOL_MAX: setting<number | undefined>("un nombre entier de connexions, de 1 à 1000", integer(1, 1000), undefined),
  /** Longest a request's query may run before PostgreSQL cancels it. */
  DATABASE_STATEMENT_TIMEOUT_MS: setting("un nombre entier de millisecondes, de 100 à 3600000 (1 heure)", integer(100, 3_600_000), 5_000),
  /** Longest wait for a connection (a database that does not answer). */
  DATABASE_CONNECT_TIMEOUT_MS: setting("un nombre entier de millisecondes, de 100 à 600000", integer(100, 600_000), 5_000),
  /** Statements prepared once per connection (db/pool.ts); false behind a pooler in transaction mode that cannot keep them. */
  DATABASE_PREPARE: setting(FLAG, flag, true),
  PORT: setting("un numéro de port, de 1 à 65535", integer(1, 65535), 3000),
  HOST: setting("une adresse d'écoute (127.0.0.1, 0.0.0.0, ::)", (r) => r, "127.0.0.1"),
  DATA_DIR: setting("un dossier", (r) => r, ".data"),
  PUBLIC_URL: setting<string | undefined>(
    "une adresse http(s)://… (par exemple https://intranet.example.org)",
    (r) => (/^https?:\/\/[^/]/.test(r) && URL.canParse(r) ? r.replace(/\/+$/, "") : undefined),
    undefined,
  ),
  UPLOADS_DIR: setting("un dossier", (r) => r, "uploads"),
  MAX_UPLOAD_MB: setting(
    "une taille en mégaoctets, supérieure à 0 et au plus 1024 (par exemple 25)",
    (r) => (/^\d+(\.\d+)?$/.test(r) && Number(r) > 0 && Number(r) <= 1024 ? Number(r) : undefined),
    25,
  ),
  TRUST_PROXY: setting<TrustProxy>(
    "le nombre de proxys devant Relais (1, 2…), true, false, ou une liste d'adresses ou de réseaux (127.0.0.1, 10.0.0.0/8, loopback)",
    parseTrustProxy,
    false,
  ),
  LOG_REQUESTS: setting(FLAG, flag, false),
  RELAIS_DEMO: setting(FLAG, flag, false),
  RUN_WORKER: setting(FLAG, flag, true),
  SMTP_HOST: setting<string | undefined>("un nom d'hôte", (r) => r, undefined),
  SMTP_PORT: setting<number | undefined>("un numéro de port, de 1 à 65535", integer(1, 65535), undefined),
  SMTP_SECURE: setting<"true" | "false" | undefined>("true ou false", (r) => (r === "true" || r === "false" ? r : undefined), undefined),
  SMTP_USER: setting<string | undefined>("un identifiant", (r) => r, undefined),
  SMTP_PASSWORD: z.string().optional(),
  /** Encrypts channel secrets at rest; checked by app/publishing/secrets.server.ts, which never repeats it in a message. */
  SECRETS_KEY: z.string().optional(),
  MAIL_FROM: setting("une adresse d'expéditeur (Relais <relais@example.org>)", (r) => r, "Relais <relais@localhost>"),
  /** The organisation's calendar: the times shown, and where each day begins (app/organisation/calendar.server.ts). */
  ORGANISATION_TIME_ZONE: setting("un fuseau horaire IANA (Europe/Paris, America/New_York, UTC…)", parseTimeZone, "Europe/Paris"),
  /** Where photo files live: UPLOADS_DIR on this machine, or an S3-compatible bucket shared by several instances. */
  STORAGE: setting("disk ou s3", (r) => (["disk", "s3"] as const).find((m) => m === r.toLowerCase()), "disk"),
  /** The S3-compatible server (MinIO, Garage, Ceph, a provider); absent for Amazon S3 itself. */
  S3_ENDPOINT: setting<string | undefined>(
    "une adresse http(s)://… (par exemple https://s3.example.org)",
    (r) => (/^https?:\/\/[^/]/.test(r) && URL.canParse(r) ? r.replace(/\/+$/, "") : undefined),
    undefined,
  ),
  S3_REGION: setting("une région (par exemple eu-west-3 ou us-east-1)", (r) => (/^[a-z0-9-]{1,64}$/.test(r) ? r : undefined), "us-east-1"),
  S3_BUCKET: setting<string | undefined>(
    "un nom de compartiment S3 (3 à 63 caractères : minuscules, chiffres, points, tirets)",
    (r) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(r) ? r : undefined),
    undefined,
  ),
  S3_ACCESS_KEY_ID: setting<string | undefined>("un identifiant de clé d'accès", (r) => r, undefined),
  S3_SECRET_ACCESS_KEY: setting<string | undefined>("une clé secrète", (r) => r, undefined),
}).superRefine((settings, ctx) => {
  if (settings.STORAGE !== "s3") return;
  for (const key of ["S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const) {
    if (!settings[key]) ctx.addIssue({ code: "custom", path: [key], message: "une valeur (requise avec STORAGE=s3)" });
  }
});

/** Settings whose value a message must never repeat. */
const SECRET_SETTINGS = new Set(["S3_SECRET_ACCESS_KEY", "SMTP_PASSWORD", "SECRETS_KEY", "SESSION_SECRET"]);

export type Settings = z.infer<typeof schema>;
export type Env = Settings & { DATABASE_URL: string };

export class ConfigurationError extends Error {}

/** Every setting, checked; a ConfigurationError lists each wrong one by name, with what it should be. */
function readSettings(): Settings {
  const result = schema.safeParse(process.env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = String(issue.path[0]);
    const value = process.env[key] ?? "";
    const shown = SECRET_SETTINGS.has(key) && value ? "(masqué)" : value;
    return `  - ${key}=« ${shown} » : attendu ${issue.message}.`;
  });
  throw new ConfigurationError(`Configuration invalide :\n${lines.join("\n")}`);
}

let parsed: Env | undefined;

/** The settings, once the database is known (DATABASE_URL, or set by the entry for the embedded one). */
export function env(): Env {
  if (!parsed) {
    const settings = readSettings();
    if (!settings.DATABASE_URL) throw new ConfigurationError("Configuration invalide : DATABASE_URL manque.");
    parsed = { ...settings, DATABASE_URL: settings.DATABASE_URL };
  }
  return parsed;
}

/**
 * What an entry needs before the database exists (read fresh, not cached: the entry sets
 * DATABASE_URL itself when it starts the embedded PostgreSQL).
 */
export function startupEnv(): Settings {
  return readSettings();
}

/** For the entries (server, worker, CLI), first thing: a wrong setting stops the start, with its name. */
export function configurationOrExit(): Settings {
  try {
    return readSettings();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    console.error(`[relais] ${error.message}`);
    process.exit(1);
  }
}

/**
 * The server entry's mode: express and React read NODE_ENV themselves and, without "production",
 * run their development code (slower, and express's error pages show stack traces).
 */
export function defaultNodeEnv(dev: boolean) {
  process.env.NODE_ENV ??= dev ? "development" : "production";
}

export function setDatabaseUrl(url: string) {
  process.env.DATABASE_URL = url;
  parsed = undefined;
}

/** The demo's channel-secrets key (made in its data folder) when none is configured. */
export function setSecretsKey(key: string) {
  process.env.SECRETS_KEY = key;
  parsed = undefined;
}

/** The app's pool settings (db/pool.ts's PoolOptions). */
export function poolOptions(settings: Settings = env()) {
  return {
    max: settings.DATABASE_POOL_MAX,
    statementTimeoutMs: settings.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: settings.DATABASE_CONNECT_TIMEOUT_MS,
    prepare: settings.DATABASE_PREPARE,
  };
}

export function publicUrl(): string {
  return env().PUBLIC_URL ?? `http://localhost:${env().PORT}`;
}
