import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
// Search lists newest first: with this index PostgreSQL reads rows in that order and stops after a
// page of matches instead of sorting every match (measured in scripts/bench/feeds.ts). Finer
// statistics on the tsvector keep it choosing the full-text index for rare words.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX contribution_updated_idx ON contribution (updated_at DESC, id DESC)`.execute(db);
  await sql`ALTER TABLE contribution ALTER COLUMN search SET STATISTICS 1000`.execute(db);
  // Keep the tsvector in the row (compressed) and let the bodies go out of line first: checking
  // a match then reads the row alone, not the TOAST table too.
  await sql`ALTER TABLE contribution ALTER COLUMN search SET STORAGE MAIN`.execute(db);
  await sql`ANALYZE contribution`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE contribution ALTER COLUMN search SET STORAGE EXTENDED`.execute(db);
  await sql`ALTER TABLE contribution ALTER COLUMN search SET STATISTICS -1`.execute(db);
  await sql`DROP INDEX contribution_updated_idx`.execute(db);
}
