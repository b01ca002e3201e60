import { sql, type Kysely } from "kysely";

/**
 * What the application's own database role may do, for installations that run migrations as the
 * owner of the schema and the application as another role (README, "Un rôle PostgreSQL pour
 * l'application"): read and write rows, and nothing else — no DDL, and on the audit log only
 * SELECT and INSERT, so PostgreSQL refuses UPDATE, DELETE and TRUNCATE there by privilege as well as
 * by trigger, and the role cannot disable the trigger (only the owner can). Retention goes through
 * purge_audit_entries(), which runs as its owner.
 *
 * Run as the owner after every migration (`npm run relais -- db:grant --role NAME`): GRANT … ON ALL
 * TABLES covers the tables that exist when it runs.
 */
export async function grantApplicationRole(db: Kysely<any>, role: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`Nom de rôle invalide : ${role.slice(0, 80)} (minuscules, chiffres et _)`);
  const r = sql.id(role);
  await db.transaction().execute(async (trx) => {
    await sql`GRANT USAGE ON SCHEMA public TO ${r}`.execute(trx);
    await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`.execute(trx);
    await sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`.execute(trx);
    await sql`REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM ${r}`.execute(trx);
    await sql`GRANT EXECUTE ON FUNCTION purge_audit_entries(interval) TO ${r}`.execute(trx);
    // graphile-worker's private tables have row-level security with no policy: only their owner
    // reads them. The job queue is handed to the application's role, whole (schema, tables,
    // functions, types); it holds jobs, not records. Tables carry their sequences and row types.
    // A DO block takes no parameters: the role's name reaches it as a transaction-local setting.
    await sql`SELECT set_config('relais.app_role', ${role}, true)`.execute(trx);
    await sql`DO $$
      DECLARE
        o record;
      BEGIN
        EXECUTE format('ALTER SCHEMA graphile_worker OWNER TO %I', current_setting('relais.app_role'));
        FOR o IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'graphile_worker' AND c.relkind IN ('r', 'p', 'v')
        LOOP
          EXECUTE format('ALTER %s %s OWNER TO %I', CASE o.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, o.name, current_setting('relais.app_role'));
        END LOOP;
        FOR o IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'graphile_worker'
        LOOP
          EXECUTE format('ALTER ROUTINE %s OWNER TO %I', o.name, current_setting('relais.app_role'));
        END LOOP;
        FOR o IN SELECT t.oid::regtype AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = 'graphile_worker' AND t.typtype IN ('c', 'e', 'd') AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
        LOOP
          EXECUTE format('ALTER TYPE %s OWNER TO %I', o.name, current_setting('relais.app_role'));
        END LOOP;
      END
    $$`.execute(trx);
  });
}
