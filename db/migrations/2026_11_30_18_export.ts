import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// People's rights (issue 12):
// - data_export: one "Télécharger mes données" request (or an admin's data-access request), built
//   by a job into the storage as a ZIP; the page shows its progress, and only the person who asked
//   may download it until it expires (then a job deletes the file and the row);
// - app_user.closed_at: when an admin closed (anonymised) the account; a closed account stays as
//   "Ancien agent", the author of the contributions the organisation keeps.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE data_export (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Whose data it holds.
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    -- Who asked, and the only one who may download it: the person, or an admin for a data-access request.
    requested_by text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'ready', 'failed')),
    photos_total integer NOT NULL DEFAULT 0 CHECK (photos_total >= 0),
    photos_done integer NOT NULL DEFAULT 0 CHECK (photos_done >= 0),
    file_key text,
    bytes bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    expires_at timestamptz,
    CHECK (state <> 'ready' OR (file_key IS NOT NULL AND expires_at IS NOT NULL))
  )`.execute(db);
  await sql`CREATE INDEX data_export_requested_by_idx ON data_export (requested_by, id DESC)`.execute(db);
  await sql`CREATE INDEX data_export_user_idx ON data_export (user_id)`.execute(db);
  await sql`CREATE INDEX data_export_expires_idx ON data_export (expires_at)`.execute(db);

  await sql`ALTER TABLE app_user ADD COLUMN closed_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE app_user DROP COLUMN closed_at`.execute(db);
  await sql`DROP TABLE data_export`.execute(db);
}
