import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE department (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX department_name_key ON department (lower(name))`.execute(db);

  await sql`CREATE TABLE app_user (
    id text PRIMARY KEY,
    email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 120),
    role text NOT NULL CHECK (role IN ('agent', 'comms', 'manager', 'admin')),
    department_id bigint REFERENCES department (id) ON DELETE RESTRICT,
    locale text NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en')),
    active boolean NOT NULL DEFAULT true,
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX app_user_email_key ON app_user (email)`.execute(db);
  await sql`CREATE INDEX app_user_department_idx ON app_user (department_id)`.execute(db);

  // Column names are the ones @lucia-auth/adapter-postgresql expects.
  await sql`CREATE TABLE user_session (
    id text PRIMARY KEY,
    expires_at timestamptz NOT NULL,
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE
  )`.execute(db);
  await sql`CREATE INDEX user_session_user_idx ON user_session (user_id)`.execute(db);

  // One row per failed sign-in, keyed by account and by IP: a sliding window that every instance sees.
  await sql`CREATE TABLE login_failure (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX login_failure_key_idx ON login_failure (key, failed_at)`.execute(db);

  await sql`CREATE TABLE invitation (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_by text REFERENCES app_user (id) ON DELETE SET NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX invitation_user_idx ON invitation (user_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["invitation", "login_failure", "user_session", "app_user", "department"]) {
    await sql`DROP TABLE ${sql.table(table)}`.execute(db);
  }
}
