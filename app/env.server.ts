import { z } from "zod";

// The only reader of process.env. Parsed on first use, so that the server entry can set
// DATABASE_URL (embedded PostgreSQL) before anything asks for it.
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  DATABASE_URL: z.string().min(1, "DATABASE_URL manque"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  UPLOADS_DIR: z.string().default("uploads"),
  MAX_UPLOAD_MB: z.coerce.number().positive().default(25),
  TRUST_PROXY: z.string().optional(),
  LOG_REQUESTS: z.string().optional(),
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: z.coerce.number().int().optional(),
  SMTP_SECURE: z.enum(["true", "false"]).optional(),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  /** Encrypts channel secrets at rest; checked by app/publishing/secrets.server.ts, which never repeats it in a message. */
  SECRETS_KEY: z.string().optional(),
  MAIL_FROM: z.string().default("Relais <relais@localhost>"),
});

export type Env = z.infer<typeof schema>;
let parsed: Env | undefined;

export function env(): Env {
  if (!parsed) {
    const result = schema.safeParse(process.env);
    if (!result.success) {
      throw new Error(
        "Configuration invalide : " + result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      );
    }
    parsed = result.data;
  }
  return parsed;
}

const startupSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  DATA_DIR: z.string().default(".data"),
  TRUST_PROXY: z.string().optional(),
  LOG_REQUESTS: z.string().optional(),
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  RELAIS_DEMO: z.string().optional(),
  RUN_WORKER: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
});

/**
 * What the server entry needs before the database exists (read fresh, not cached: the entry sets
 * DATABASE_URL itself when it starts the embedded PostgreSQL).
 */
export function startupEnv() {
  const result = startupSchema.safeParse(process.env);
  if (!result.success) {
    throw new Error("Configuration invalide : " + result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return result.data;
}

export function setDatabaseUrl(url: string) {
  process.env.DATABASE_URL = url;
  parsed = undefined;
}

export function publicUrl(): string {
  return env().PUBLIC_URL ?? `http://localhost:${env().PORT}`;
}
