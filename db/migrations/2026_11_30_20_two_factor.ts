import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// Two-factor sign-in (TOTP, RFC 6238) and sessions people can see and end.
// - A session knows when it began, when it was last used (written at most once a minute, not on
//   every request), when its password was last checked (sensitive actions ask again after 15
//   minutes), and the browser and system it runs on as two short names ("Firefox", "Windows"):
//   never the whole User-Agent header, whose versions and extras identify a device too well, and
//   no IP address (the sign-in entries of the audit log keep that, under their retention).
// - two_factor: one authenticator per account. Its secret is sealed with SECRETS_KEY like the
//   channels' tokens, so a copy of the database alone cannot produce codes. enabled_at stays NULL
//   until a first code confirms the enrolment; last_step is the last accepted time step, so that a
//   code, or any code of an already used step, is refused a second time (RFC 6238 §5.2).
// - recovery_code: ten one-time codes, stored as hashes only.
// - sign_in_challenge: between the password and the code. Not a session: it opens nothing but the
//   code page, lives ten minutes, and only its token's hash is stored.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE user_session
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN password_checked_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN browser text CHECK (length(browser) <= 40),
    ADD COLUMN platform text CHECK (length(platform) <= 40)`.execute(db);

  await sql`CREATE TABLE two_factor (
    user_id text PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    secret text NOT NULL CHECK (length(secret) <= 500),
    enabled_at timestamptz,
    last_step bigint,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);

  await sql`CREATE TABLE recovery_code (
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    code_hash text NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (user_id, code_hash)
  )`.execute(db);

  await sql`CREATE TABLE sign_in_challenge (
    token_hash text PRIMARY KEY,
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
  )`.execute(db);
  await sql`CREATE INDEX sign_in_challenge_user_idx ON sign_in_challenge (user_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE sign_in_challenge`.execute(db);
  await sql`DROP TABLE recovery_code`.execute(db);
  await sql`DROP TABLE two_factor`.execute(db);
  await sql`ALTER TABLE user_session
    DROP COLUMN created_at, DROP COLUMN last_seen_at, DROP COLUMN password_checked_at,
    DROP COLUMN browser, DROP COLUMN platform`.execute(db);
}
