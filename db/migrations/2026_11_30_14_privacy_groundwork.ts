import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// Groundwork shared by the privacy, recognition and sign-in work:
// - the audit log learns the actions those features record (its CHECK lists them, so that a typo
//   in the application cannot write an action nobody can filter on);
// - the organisation's settings (two-factor rule, session timeouts, retention periods): one row of
//   jsonb read through app/organisation/settings.server.ts, which validates it and fills defaults,
//   so that a new setting needs no migration.
const ACTIONS = [
  "sign_in", "sign_in_failed",
  "user_role_changed", "user_department_changed", "user_deactivated", "user_reactivated",
  "contribution_approved", "contribution_changes_requested", "contribution_rejected",
  "photo_rights_withdrawn",
  "publication_created", "publication_cancelled", "publication_published",
  "channel_created", "channel_changed", "channel_secret_changed",
  // Added here.
  "account_closed", "data_exported",
  "consent_recorded", "consent_changed", "consent_withdrawn", "photo_rights_changed",
  "settings_changed",
  "two_factor_enabled", "two_factor_disabled", "two_factor_reset", "recovery_codes_regenerated",
  "sessions_ended", "retention_applied",
];
const SUBJECT_TYPES = ["user", "contribution", "photo", "publication", "channel", "consent"];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_action_check`.execute(db);
  await sql`ALTER TABLE audit_entry ADD CONSTRAINT audit_entry_action_check CHECK (action IN (${sql.join(ACTIONS.map((a) => sql.lit(a)))}))`.execute(db);
  await sql`ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_subject_type_check`.execute(db);
  await sql`ALTER TABLE audit_entry ADD CONSTRAINT audit_entry_subject_type_check CHECK (subject_type IN (${sql.join(SUBJECT_TYPES.map((a) => sql.lit(a)))}))`.execute(db);

  await sql`CREATE TABLE organisation_settings (
    -- One row: the primary key can only be true.
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    settings jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text REFERENCES app_user (id) ON DELETE SET NULL
  )`.execute(db);
  await sql`INSERT INTO organisation_settings (id) VALUES (true)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE organisation_settings`.execute(db);
}
