import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// The consent register (droit à l'image): one row per authorisation a photographed person (or,
// for a minor, a parent or guardian) signed, with what it allows, until when, the signed form
// (a private file of the storage), and its withdrawal. photo_consent links each photo to the
// authorisations of the people it shows; app/photos/rights.ts derives a photo's external right
// from them (docs/decisions/0012-consent-register.md).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE consent (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The person's name, or a reference of the organisation's own paper register (or both).
    person_name text CHECK (length(person_name) BETWEEN 1 AND 200),
    reference text CHECK (length(reference) BETWEEN 1 AND 100),
    -- Every authorisation allows use inside the organisation; these say what else it allows.
    allows_website boolean NOT NULL DEFAULT false,
    allows_social boolean NOT NULL DEFAULT false,
    -- In force to the end of that day (organisation's time zone); null: no end date.
    expires_on date,
    minor boolean NOT NULL DEFAULT false,
    -- Who signed for a minor (parent or guardian).
    guardian_name text CHECK (length(guardian_name) BETWEEN 1 AND 200),
    -- The signed form: a key of the storage (consent-forms/...), never served but to comms and
    -- admins. Null when none was attached, or once retention removed it.
    form_key text,
    form_type text CHECK (form_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    form_bytes integer CHECK (form_bytes > 0),
    withdrawn_at timestamptz,
    withdrawn_by text REFERENCES app_user (id) ON DELETE SET NULL,
    -- When the daily job held the publications of an expired authorisation (once).
    expiry_handled_at timestamptz,
    created_by text REFERENCES app_user (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (person_name IS NOT NULL OR reference IS NOT NULL),
    CHECK (NOT minor OR guardian_name IS NOT NULL),
    CHECK ((form_key IS NULL) = (form_type IS NULL) AND (form_key IS NULL) = (form_bytes IS NULL))
  )`.execute(db);

  await sql`CREATE TABLE photo_consent (
    photo_id bigint NOT NULL REFERENCES photo (id) ON DELETE CASCADE,
    consent_id bigint NOT NULL REFERENCES consent (id) ON DELETE CASCADE,
    linked_by text REFERENCES app_user (id) ON DELETE SET NULL,
    linked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (photo_id, consent_id)
  )`.execute(db);
  await sql`CREATE INDEX photo_consent_consent_idx ON photo_consent (consent_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE photo_consent`.execute(db);
  await sql`DROP TABLE consent`.execute(db);
}
