import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// "Mes contributions" names the first few who said thanks for each contribution (issue 13): read in
// the order they came down this index, each contribution's list stops after the few it shows,
// instead of ranking every thanks of the page's contributions.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX thanks_contribution_order_idx ON thanks (contribution_id, created_at, user_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX thanks_contribution_order_idx`.execute(db);
}
