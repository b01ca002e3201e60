import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// What tells a poll of /calendar.ics (issue 13) whether the document it would build differs from the
// one built last: every transaction that writes what the calendar shows (a publication, a
// contribution's title, a channel's name) leaves its transaction id here, once. A row per writing
// transaction rather than one row updated by all: writers never wait for each other nor lock in
// another order than their own (publications are locked FOR UPDATE by the worker and the queue), and
// the set of rows a reader sees changes exactly when such a transaction commits. Pruned hourly by
// the prune_calendar_changes task (a removal changes the set too: one more build, never a stale one).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE calendar_change (
    xact xid8 PRIMARY KEY,
    changed_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE FUNCTION calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO calendar_change (xact) VALUES (pg_current_xact_id()) ON CONFLICT (xact) DO NOTHING;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER publication_in_calendar AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON publication
    FOR EACH STATEMENT EXECUTE FUNCTION calendar_changed()`.execute(db);
  await sql`CREATE TRIGGER contribution_in_calendar AFTER UPDATE OF title ON contribution
    FOR EACH STATEMENT EXECUTE FUNCTION calendar_changed()`.execute(db);
  await sql`CREATE TRIGGER channel_in_calendar AFTER UPDATE OF name ON channel
    FOR EACH STATEMENT EXECUTE FUNCTION calendar_changed()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER publication_in_calendar ON publication`.execute(db);
  await sql`DROP TRIGGER contribution_in_calendar ON contribution`.execute(db);
  await sql`DROP TRIGGER channel_in_calendar ON channel`.execute(db);
  await sql`DROP FUNCTION calendar_changed()`.execute(db);
  await sql`DROP TABLE calendar_change`.execute(db);
}
