import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // French full-text search that ignores accents: "ete" finds "été".
  await sql`CREATE EXTENSION IF NOT EXISTS unaccent`.execute(db);
  await sql`CREATE TEXT SEARCH CONFIGURATION relais_french (COPY = french)`.execute(db);
  await sql`ALTER TEXT SEARCH CONFIGURATION relais_french
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem`.execute(db);

  // array_to_string is only STABLE in general; for text[] it is deterministic, which the generated
  // search column below needs.
  await sql`CREATE FUNCTION relais_tags_text(text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT array_to_string($1, ' ') $$`.execute(db);

  await sql`CREATE TABLE contribution (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id text NOT NULL REFERENCES app_user (id) ON DELETE RESTRICT,
    department_id bigint NOT NULL REFERENCES department (id) ON DELETE RESTRICT,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body_json jsonb NOT NULL,
    body_html text NOT NULL,
    body_text text NOT NULL,
    tags text[] NOT NULL DEFAULT '{}',
    event_date date,
    place text CHECK (length(place) <= 200),
    visibility_wish text NOT NULL DEFAULT 'department' CHECK (visibility_wish IN ('department', 'organisation')),
    propose_external boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'draft'
      CHECK (status IN ('draft', 'submitted', 'changes_requested', 'approved', 'rejected', 'archived')),
    visibility text CHECK (visibility IN ('department', 'organisation')),
    external_eligible boolean NOT NULL DEFAULT false,
    version integer NOT NULL DEFAULT 1,
    submitted_at timestamptz,
    approved_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    search tsvector GENERATED ALWAYS AS (
      setweight(to_tsvector('relais_french', title), 'A') ||
      setweight(to_tsvector('relais_french', relais_tags_text(tags)), 'B') ||
      setweight(to_tsvector('relais_french', coalesce(place, '')), 'B') ||
      setweight(to_tsvector('relais_french', body_text), 'C')
    ) STORED,
    CHECK (status <> 'approved' OR (visibility IS NOT NULL AND approved_at IS NOT NULL))
  )`.execute(db);
  // Keyset pagination of the three feeds, newest first.
  await sql`CREATE INDEX contribution_department_feed_idx ON contribution (department_id, approved_at DESC, id DESC)
    WHERE status = 'approved'`.execute(db);
  await sql`CREATE INDEX contribution_organisation_feed_idx ON contribution (approved_at DESC, id DESC)
    WHERE status = 'approved' AND visibility = 'organisation'`.execute(db);
  await sql`CREATE INDEX contribution_author_idx ON contribution (author_id, updated_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX contribution_review_idx ON contribution (submitted_at, id) WHERE status = 'submitted'`.execute(db);
  await sql`CREATE INDEX contribution_search_idx ON contribution USING gin (search)`.execute(db);
  await sql`CREATE INDEX contribution_tags_idx ON contribution USING gin (tags)`.execute(db);

  await sql`CREATE TABLE photo (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contribution_id bigint NOT NULL REFERENCES contribution (id) ON DELETE CASCADE,
    position integer NOT NULL,
    master_key text NOT NULL,
    display_key text NOT NULL,
    thumb_key text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    bytes integer NOT NULL,
    placeholder text NOT NULL,
    alt_text text NOT NULL DEFAULT '' CHECK (length(alt_text) <= 1000),
    credit text NOT NULL DEFAULT '' CHECK (length(credit) <= 200),
    rights_status text NOT NULL DEFAULT 'unknown'
      CHECK (rights_status IN ('unknown', 'no_person', 'authorised', 'refused')),
    rights_scope text CHECK (rights_scope IN ('internal', 'external')),
    rights_expires_on date,
    rights_withdrawn_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX photo_contribution_idx ON photo (contribution_id, position)`.execute(db);
  // Files are shared by content hash: the sweeper asks whether any row still points at a key.
  for (const column of ["master_key", "display_key", "thumb_key"]) {
    await sql`CREATE INDEX ${sql.id(`photo_${column}_idx`)} ON photo (${sql.ref(column)})`.execute(db);
  }

  await sql`CREATE TABLE comment (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contribution_id bigint NOT NULL REFERENCES contribution (id) ON DELETE CASCADE,
    author_id text NOT NULL REFERENCES app_user (id) ON DELETE RESTRICT,
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at timestamptz NOT NULL DEFAULT now(),
    edited_at timestamptz
  )`.execute(db);
  await sql`CREATE INDEX comment_contribution_idx ON comment (contribution_id, created_at)`.execute(db);

  await sql`CREATE TABLE thanks (
    contribution_id bigint NOT NULL REFERENCES contribution (id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contribution_id, user_id)
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["thanks", "comment", "photo", "contribution"]) {
    await sql`DROP TABLE ${sql.table(table)}`.execute(db);
  }
  await sql`DROP FUNCTION relais_tags_text(text[])`.execute(db);
  await sql`DROP TEXT SEARCH CONFIGURATION relais_french`.execute(db);
}
