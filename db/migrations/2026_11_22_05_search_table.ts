import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// Search reads its own narrow table: the columns that choose a page of results (visibility, time,
// tags, the tsvector), first in the row, a copy kept by a trigger. In `contribution` the tsvector
// came after the bodies, so checking a match meant stepping over every wide column of each row
// (measured in scripts/bench/feeds.ts: the search page query costs about a quarter less here).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE FUNCTION relais_search_document(title text, tags text[], place text, body text)
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT setweight(to_tsvector('relais_french', title), 'A') ||
             setweight(to_tsvector('relais_french', relais_tags_text(tags)), 'B') ||
             setweight(to_tsvector('relais_french', coalesce(place, '')), 'B') ||
             setweight(to_tsvector('relais_french', body), 'C')
    $$`.execute(db);

  await sql`CREATE TABLE contribution_search (
    id bigint PRIMARY KEY REFERENCES contribution (id) ON DELETE CASCADE,
    updated_at timestamptz NOT NULL,
    department_id bigint NOT NULL,
    status text NOT NULL,
    visibility text,
    author_id text NOT NULL,
    tags text[] NOT NULL,
    search tsvector NOT NULL
  )`.execute(db);
  await sql`INSERT INTO contribution_search (id, updated_at, department_id, status, visibility, author_id, tags, search)
    SELECT id, updated_at, department_id, status, visibility, author_id, tags, search FROM contribution ORDER BY id`.execute(db);

  await sql`CREATE FUNCTION relais_contribution_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO contribution_search (id, updated_at, department_id, status, visibility, author_id, tags, search)
      VALUES (NEW.id, NEW.updated_at, NEW.department_id, NEW.status, NEW.visibility, NEW.author_id, NEW.tags,
              relais_search_document(NEW.title, NEW.tags, NEW.place, NEW.body_text))
      ON CONFLICT (id) DO UPDATE SET
        updated_at = EXCLUDED.updated_at, department_id = EXCLUDED.department_id, status = EXCLUDED.status,
        visibility = EXCLUDED.visibility, author_id = EXCLUDED.author_id, tags = EXCLUDED.tags, search = EXCLUDED.search;
      RETURN NULL;
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER contribution_search_sync
    AFTER INSERT OR UPDATE OF title, tags, place, body_text, updated_at, department_id, status, visibility, author_id
    ON contribution FOR EACH ROW EXECUTE FUNCTION relais_contribution_search_sync()`.execute(db);

  // Newest first, and the full-text and tag indexes, now on the narrow table.
  await sql`CREATE INDEX contribution_search_updated_idx ON contribution_search (updated_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX contribution_search_search_idx ON contribution_search USING gin (search)`.execute(db);
  await sql`CREATE INDEX contribution_search_tags_idx ON contribution_search USING gin (tags)`.execute(db);
  // Fine statistics keep PostgreSQL choosing the full-text index for rare words (see migration 04).
  await sql`ALTER TABLE contribution_search ALTER COLUMN search SET STATISTICS 1000`.execute(db);
  await sql`ALTER TABLE contribution_search ALTER COLUMN search SET STORAGE MAIN`.execute(db);

  await sql`DROP INDEX contribution_updated_idx`.execute(db);
  await sql`DROP INDEX contribution_tags_idx`.execute(db);
  await sql`ALTER TABLE contribution DROP COLUMN search`.execute(db); // and its index
  await sql`ANALYZE contribution_search`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE contribution ADD COLUMN search tsvector
    GENERATED ALWAYS AS (relais_search_document(title, tags, place, body_text)) STORED`.execute(db);
  await sql`ALTER TABLE contribution ALTER COLUMN search SET STATISTICS 1000`.execute(db);
  await sql`ALTER TABLE contribution ALTER COLUMN search SET STORAGE MAIN`.execute(db);
  await sql`CREATE INDEX contribution_search_idx ON contribution USING gin (search)`.execute(db);
  await sql`CREATE INDEX contribution_tags_idx ON contribution USING gin (tags)`.execute(db);
  await sql`CREATE INDEX contribution_updated_idx ON contribution (updated_at DESC, id DESC)`.execute(db);
  await sql`DROP TRIGGER contribution_search_sync ON contribution`.execute(db);
  await sql`DROP FUNCTION relais_contribution_search_sync()`.execute(db);
  await sql`DROP TABLE contribution_search`.execute(db);
}
