import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// A notification links where its subject lives, stored ready as a path of the site: the subject
// is not always a contribution (a publication, an export…). contribution_id stays, for the
// notifications that are about one: deleting the contribution deletes them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE notification ADD COLUMN link text
    CHECK (left(link, 1) = '/' AND left(link, 2) NOT IN ('//', '/\\'))`.execute(db);
  await sql`UPDATE notification SET link = '/contributions/' || contribution_id WHERE contribution_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE notification DROP COLUMN link`.execute(db);
}
