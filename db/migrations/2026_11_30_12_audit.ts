import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// The append-only audit log of sensitive actions. PostgreSQL itself refuses to change or remove an
// entry, whoever asks (a trigger fires for the table's owner and for superusers alike, where
// privileges do not), so that a bug or a compromised application cannot rewrite history. The one
// way out is retention: purge_audit_entries(age) deletes entries older than `age`, never younger
// than a month.
//
// No foreign keys: an entry outlives the account, contribution or channel it names (a cascade or
// SET NULL would be an UPDATE or DELETE, refused), and it records ids as they were.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE audit_entry (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    -- NULL: the installation itself (the relais CLI, a job).
    actor_id text,
    -- The actor's role at that moment, which a later change of role must not rewrite.
    actor_role text CHECK (actor_role IN ('agent', 'comms', 'manager', 'admin')),
    action text NOT NULL CHECK (action IN (
      'sign_in', 'sign_in_failed',
      'user_role_changed', 'user_department_changed', 'user_deactivated', 'user_reactivated',
      'contribution_approved', 'contribution_changes_requested', 'contribution_rejected',
      'photo_rights_withdrawn',
      'publication_created', 'publication_cancelled', 'publication_published',
      'channel_created', 'channel_changed', 'channel_secret_changed')),
    subject_type text CHECK (subject_type IN ('user', 'contribution', 'photo', 'publication', 'channel')),
    subject_id text CHECK (length(subject_id) <= 100),
    department_id bigint,
    -- Small facts about the action (old and new role, a reason); never a secret or a password.
    details jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object' AND octet_length(details::text) <= 4000),
    -- Sign-ins only.
    ip inet,
    CHECK ((subject_type IS NULL) = (subject_id IS NULL))
  )`.execute(db);
  // The admin page reads newest first, by period, actor or subject, and pages by (at, id).
  await sql`CREATE INDEX audit_entry_at_idx ON audit_entry (at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX audit_entry_actor_idx ON audit_entry (actor_id, at DESC)`.execute(db);
  await sql`CREATE INDEX audit_entry_subject_idx ON audit_entry (subject_type, subject_id, at DESC)`.execute(db);

  // A DELETE passes only when purge_audit_entries() has set the transaction-local cutoff, the
  // cutoff is at least a month old and the entry is older than it. Setting the cutoff by hand
  // gains nothing retention could not do anyway.
  await sql`CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      cutoff timestamptz;
    BEGIN
      IF TG_OP = 'DELETE' THEN
        cutoff := nullif(current_setting('relais.audit_purge_before', true), '')::timestamptz;
        IF cutoff IS NOT NULL AND cutoff <= now() - interval '1 month' AND OLD.at < cutoff THEN
          RETURN OLD;
        END IF;
      END IF;
      RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()`.execute(db);
  await sql`CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()`.execute(db);
  // Belt and braces for installations where the application connects with a role of its own
  // rather than as the owner: it may read and add entries, nothing else.
  await sql`REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM PUBLIC`.execute(db);

  await sql`CREATE FUNCTION purge_audit_entries(older_than interval) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    DECLARE
      cutoff timestamptz := now() - older_than;
      removed bigint;
    BEGIN
      IF older_than IS NULL OR older_than < interval '1 month' THEN
        RAISE EXCEPTION 'audit entries are kept at least one month (asked: %)', older_than
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      PERFORM set_config('relais.audit_purge_before', cutoff::text, true);
      DELETE FROM public.audit_entry WHERE at < cutoff;
      GET DIAGNOSTICS removed = ROW_COUNT;
      PERFORM set_config('relais.audit_purge_before', '', true);
      RETURN removed;
    END
  $$`.execute(db);
  await sql`REVOKE ALL ON FUNCTION purge_audit_entries(interval) FROM PUBLIC`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION purge_audit_entries(interval)`.execute(db);
  await sql`DROP TABLE audit_entry`.execute(db);
  await sql`DROP FUNCTION audit_entry_refuse_change()`.execute(db);
}
