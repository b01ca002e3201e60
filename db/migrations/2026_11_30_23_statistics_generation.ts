import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// Which state of the statistics roll-ups the app is reading (issue 11, "Scale"): every recomputation
// of roll-up days writes a new value here in its own transaction, so the figures and this value
// change together. The app keeps roll-up query results per value (statistics/rollup-cache.server.ts):
// a dashboard loaded again before the next change reads no roll-up. Random rather than counted: a
// database emptied and filled again (tests) never gives back a value already seen. Departments and
// channels (their names, and how many departments there are) are part of what is kept, so changing
// them changes the value too.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE statistics_generation (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    generation uuid NOT NULL DEFAULT gen_random_uuid(),
    changed_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`INSERT INTO statistics_generation DEFAULT VALUES`.execute(db);
  await sql`CREATE FUNCTION statistics_generation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE statistics_generation SET generation = gen_random_uuid(), changed_at = now();
      RETURN NULL;
    END $$`.execute(db);
  for (const table of ["department", "channel"]) {
    await sql`CREATE TRIGGER ${sql.id(`${table}_in_statistics`)} AFTER INSERT OR DELETE OR UPDATE OF name ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION statistics_generation_changed()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER department_in_statistics ON department`.execute(db);
  await sql`DROP TRIGGER channel_in_statistics ON channel`.execute(db);
  await sql`DROP FUNCTION statistics_generation_changed()`.execute(db);
  await sql`DROP TABLE statistics_generation`.execute(db);
}
