import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// A contribution may carry an embargo ("pas avant le …"): no publication of it goes outside
// before that instant. The author sets it while writing, comms on the review page; the publishing
// queue enforces it (queue.server.ts) and delivery checks it again before every try.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE contribution ADD COLUMN embargo_until timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE contribution DROP COLUMN embargo_until`.execute(db);
}
