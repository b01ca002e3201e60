import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // The history of a contribution: every transition, comment of a decision and edit by comms
  // (data holds what changed), in order. Authors read it; nothing rewrites it.
  await sql`CREATE TABLE contribution_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contribution_id bigint NOT NULL REFERENCES contribution (id) ON DELETE CASCADE,
    actor_id text REFERENCES app_user (id) ON DELETE SET NULL,
    kind text NOT NULL CHECK (kind IN ('created', 'submitted', 'withdrawn', 'approved', 'changes_requested',
      'rejected', 'edited', 'archived', 'rights_withdrawn')),
    message text,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX contribution_event_idx ON contribution_event (contribution_id, id)`.execute(db);

  await sql`CREATE TABLE notification (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('approved', 'changes_requested', 'rejected', 'commented', 'thanked', 'submitted',
      'rights_alert')),
    contribution_id bigint REFERENCES contribution (id) ON DELETE CASCADE,
    actor_id text REFERENCES app_user (id) ON DELETE SET NULL,
    data jsonb NOT NULL DEFAULT '{}',
    read_at timestamptz,
    emailed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX notification_user_idx ON notification (user_id, id DESC)`.execute(db);
  await sql`CREATE INDEX notification_unread_idx ON notification (user_id) WHERE read_at IS NULL`.execute(db);

  // Which notification kinds a user also wants by e-mail, and whether as one daily digest.
  await sql`ALTER TABLE app_user
    ADD COLUMN email_kinds text[] NOT NULL DEFAULT '{approved,changes_requested,rejected,commented,submitted,rights_alert}',
    ADD COLUMN email_digest boolean NOT NULL DEFAULT false`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE app_user DROP COLUMN email_kinds, DROP COLUMN email_digest`.execute(db);
  await sql`DROP TABLE notification`.execute(db);
  await sql`DROP TABLE contribution_event`.execute(db);
}
