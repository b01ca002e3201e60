import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// Renditions become rows, one per photo and kind (thumb, display, and the channel crops to come),
// instead of a column each. The master stays on `photo`: every rendition is made from it. A focal
// point on the photo says where crops are centred.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE photo
    ADD COLUMN focus_x real NOT NULL DEFAULT 0.5 CHECK (focus_x BETWEEN 0 AND 1),
    ADD COLUMN focus_y real NOT NULL DEFAULT 0.5 CHECK (focus_y BETWEEN 0 AND 1)`.execute(db);
  await sql`CREATE TABLE photo_rendition (
    photo_id bigint NOT NULL REFERENCES photo (id) ON DELETE CASCADE,
    kind text NOT NULL,
    width integer NOT NULL CHECK (width > 0),
    height integer NOT NULL CHECK (height > 0),
    -- NULL for the renditions moved here from the old columns: the database never knew their size.
    bytes integer CHECK (bytes > 0),
    file_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (photo_id, kind)
  )`.execute(db);
  // The sweeper and deletions look files up by key.
  await sql`CREATE INDEX photo_rendition_file_key_idx ON photo_rendition (file_key)`.execute(db);
  // Their size as the pipeline made them then: the master's, fitted inside 1280 and 400 px.
  await sql`INSERT INTO photo_rendition (photo_id, kind, width, height, bytes, file_key, created_at)
    SELECT p.id, r.kind,
      greatest(1, round(p.width * r.scale))::int, greatest(1, round(p.height * r.scale))::int,
      NULL, r.file_key, p.created_at
    FROM photo p CROSS JOIN LATERAL (VALUES
      ('display', p.display_key, least(1.0, 1280.0 / greatest(p.width, p.height))),
      ('thumb', p.thumb_key, least(1.0, 400.0 / greatest(p.width, p.height)))
    ) AS r (kind, file_key, scale)`.execute(db);
  await sql`ALTER TABLE photo DROP COLUMN display_key, DROP COLUMN thumb_key`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE photo ADD COLUMN display_key text, ADD COLUMN thumb_key text`.execute(db);
  // A photo without one of them (none should be) falls back to its master.
  await sql`UPDATE photo p SET
    display_key = coalesce((SELECT file_key FROM photo_rendition WHERE photo_id = p.id AND kind = 'display'), p.master_key),
    thumb_key = coalesce((SELECT file_key FROM photo_rendition WHERE photo_id = p.id AND kind = 'thumb'), p.master_key)`.execute(db);
  await sql`ALTER TABLE photo ALTER COLUMN display_key SET NOT NULL, ALTER COLUMN thumb_key SET NOT NULL`.execute(db);
  await sql`CREATE INDEX photo_display_key_idx ON photo (display_key)`.execute(db);
  await sql`CREATE INDEX photo_thumb_key_idx ON photo (thumb_key)`.execute(db);
  await sql`DROP TABLE photo_rendition`.execute(db);
  await sql`ALTER TABLE photo DROP COLUMN focus_x, DROP COLUMN focus_y`.execute(db);
}
