import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// The queue's list opens with what needs comms: failed and held publications from before the
// shown weeks, oldest first, whatever their age (listQueue with states failed and held, no lower
// bound). Through publication_scheduled_idx that read walks every older publication to find the
// few in those states (on the benchmark's 100,000: ~8,000 rows filtered away for 500 kept); this
// partial index holds only them, in the order the page reads them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX publication_attention_idx ON publication (scheduled_at, id)
    WHERE state IN ('failed', 'held')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX publication_attention_idx`.execute(db);
}
