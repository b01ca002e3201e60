import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// How many approved contributions use each tag, per audience: department_id NULL for those
// approved for the whole organisation, else the department an item is approved for. A roll-up
// rebuilt by the `refresh_tag_usage` job (hourly): counting tags over every approved item on each
// search page took 0.8 s with 500,000 contributions (scripts/bench/feeds.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE tag_usage (
    department_id bigint REFERENCES department (id) ON DELETE CASCADE,
    tag text NOT NULL,
    uses integer NOT NULL CHECK (uses > 0)
  )`.execute(db);
  await sql`CREATE INDEX tag_usage_department_idx ON tag_usage (department_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE tag_usage`.execute(db);
}
