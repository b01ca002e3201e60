import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// What tells a kept answer (a feed page, the same for everyone who may read it; issue 13) that it
// is still right: every transaction that writes what such answers show (contributions, their photos,
// thanks, comments and decisions, people's names, departments, publications and their reach,
// channels) leaves its
// transaction id here, once, as calendar_change does for the calendar (migration 24): writers never
// wait for each other. The version a request reads is the count and the largest id of the rows it
// sees, and the generation of pruning: between two reads without a prune the set only grows (a
// commit adds a row, so the count grows), and a prune that removed rows bumps the generation in its
// own transaction (a row only it updates, hourly), so the version changes whenever the set does.
// Pruned hourly by the prune_content_changes task.
const TABLES = ["contribution", "photo", "thanks", "comment", "contribution_event", "app_user", "department", "publication", "publication_reach", "channel"];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE content_change (
    xact xid8 PRIMARY KEY,
    changed_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE TABLE content_prune (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    generation bigint NOT NULL DEFAULT 0
  )`.execute(db);
  await sql`INSERT INTO content_prune DEFAULT VALUES`.execute(db);
  await sql`CREATE FUNCTION content_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO content_change (xact) VALUES (pg_current_xact_id()) ON CONFLICT (xact) DO NOTHING;
      RETURN NULL;
    END $$`.execute(db);
  for (const table of TABLES) {
    await sql`CREATE TRIGGER ${sql.id(`${table}_content_changed`)} AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION content_changed()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) await sql`DROP TRIGGER ${sql.id(`${table}_content_changed`)} ON ${sql.table(table)}`.execute(db);
  await sql`DROP FUNCTION content_changed()`.execute(db);
  await sql`DROP TABLE content_prune`.execute(db);
  await sql`DROP TABLE content_change`.execute(db);
}
