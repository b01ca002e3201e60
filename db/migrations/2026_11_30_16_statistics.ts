import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// Recognition statistics (issue 11) read daily roll-ups, never the base tables on a page load.
// The roll-ups are recomputed a day at a time from the base tables by app/statistics/rollups.server.ts
// (the refresh_statistics job, every minute): triggers only note which hours changed, in
// `statistics_dirty`. Recomputing a day from what is stored, rather than adding and subtracting in
// each writer's transaction, keeps one rule for the live figures and for a rebuild, stays right
// when rows disappear through cascades (a deleted contribution takes its thanks, comments and
// publications along, whose triggers no longer see the contribution), and needs no writer to know
// about statistics. The price is a minute of delay.
//
// Days are the organisation's (ORGANISATION_TIME_ZONE), which the database does not know: the
// triggers note instants (truncated to the hour), the job turns them into days.
//
// A median cannot be summed from daily rows: each decision's time from submission is kept as its
// own row (`statistics_decision`, one small row per decision), and medians are computed over the
// rows of the period. Exact, and for a department's year a few thousand rows.
export async function up(db: Kysely<any>): Promise<void> {
  const figures = sql.raw(`
    -- Contributions whose (latest) submission fell on the day, by their status now.
    submitted_in_review integer NOT NULL DEFAULT 0,
    submitted_changes_requested integer NOT NULL DEFAULT 0,
    submitted_approved integer NOT NULL DEFAULT 0,
    submitted_rejected integer NOT NULL DEFAULT 0,
    -- Contributions approved on the day.
    approved integer NOT NULL DEFAULT 0,
    -- Publications that went out on the day (any channel: every channel is outside).
    published integer NOT NULL DEFAULT 0,
    thanks_received integer NOT NULL DEFAULT 0,
    comments_written integer NOT NULL DEFAULT 0,
    decisions integer NOT NULL DEFAULT 0,
    changes_requested integer NOT NULL DEFAULT 0,
    rejected integer NOT NULL DEFAULT 0`);

  // One row per contributor, department and day with anything to count. The department is the
  // contribution's (where it was written), or for comments the writer's.
  await sql`CREATE TABLE statistics_contributor_day (
    department_id bigint NOT NULL REFERENCES department (id) ON DELETE CASCADE,
    day date NOT NULL,
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    ${figures},
    PRIMARY KEY (department_id, day, user_id)
  )`.execute(db);
  await sql`CREATE INDEX statistics_contributor_day_user_idx ON statistics_contributor_day (user_id, day)`.execute(db);

  // The same summed per department: what the organisation-wide view reads (100 rows a day at most).
  await sql`CREATE TABLE statistics_department_day (
    day date NOT NULL,
    department_id bigint NOT NULL REFERENCES department (id) ON DELETE CASCADE,
    ${figures},
    PRIMARY KEY (day, department_id)
  )`.execute(db);

  // Publications per channel (the "where it ran" of each contributor, the chart per channel).
  await sql`CREATE TABLE statistics_channel_day (
    department_id bigint NOT NULL REFERENCES department (id) ON DELETE CASCADE,
    day date NOT NULL,
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    channel_id bigint NOT NULL REFERENCES channel (id) ON DELETE CASCADE,
    published integer NOT NULL,
    PRIMARY KEY (department_id, day, user_id, channel_id)
  )`.execute(db);
  await sql`CREATE INDEX statistics_channel_day_day_idx ON statistics_channel_day (day)`.execute(db);

  // Each decision (approve, request changes, reject) and the seconds since the submission it answered.
  await sql`CREATE TABLE statistics_decision (
    event_id bigint PRIMARY KEY REFERENCES contribution_event (id) ON DELETE CASCADE,
    day date NOT NULL,
    department_id bigint NOT NULL REFERENCES department (id) ON DELETE CASCADE,
    user_id text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    outcome text NOT NULL CHECK (outcome IN ('approved', 'changes_requested', 'rejected')),
    seconds integer NOT NULL CHECK (seconds >= 0)
  )`.execute(db);
  await sql`CREATE INDEX statistics_decision_department_idx ON statistics_decision (department_id, day) INCLUDE (user_id, seconds)`.execute(db);
  await sql`CREATE INDEX statistics_decision_day_idx ON statistics_decision (day) INCLUDE (department_id, seconds)`.execute(db);

  // Hours in which something counted changed; no key, so that writers never wait on each other.
  await sql`CREATE TABLE statistics_dirty (at timestamptz NOT NULL)`.execute(db);
  await sql`CREATE INDEX statistics_dirty_at_idx ON statistics_dirty (at)`.execute(db);

  await sql`CREATE FUNCTION relais_statistics_mark(VARIADIC instants timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE hour timestamptz;
    BEGIN
      FOREACH hour IN ARRAY instants LOOP
        CONTINUE WHEN hour IS NULL;
        hour := date_trunc('hour', hour, 'UTC');
        IF NOT EXISTS (SELECT 1 FROM statistics_dirty WHERE at = hour) THEN
          INSERT INTO statistics_dirty (at) VALUES (hour);
        END IF;
      END LOOP;
    END
  $$`.execute(db);

  // Whatever a row counts for: its instants before and after the change.
  await sql`CREATE FUNCTION relais_statistics_contribution() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM relais_statistics_mark(OLD.submitted_at, OLD.approved_at); END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM relais_statistics_mark(NEW.submitted_at, NEW.approved_at); END IF;
      -- Counted under another author or department: everything else it counts for moves too.
      IF TG_OP = 'UPDATE' AND (OLD.author_id <> NEW.author_id OR OLD.department_id <> NEW.department_id) THEN
        PERFORM relais_statistics_mark(VARIADIC ARRAY(
          SELECT published_at FROM publication WHERE contribution_id = NEW.id AND published_at IS NOT NULL
          UNION SELECT created_at FROM thanks WHERE contribution_id = NEW.id
          UNION SELECT created_at FROM contribution_event WHERE contribution_id = NEW.id
            AND kind IN ('approved', 'changes_requested', 'rejected')));
      END IF;
      RETURN NULL;
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER statistics_contribution_insert_delete AFTER INSERT OR DELETE ON contribution
    FOR EACH ROW EXECUTE FUNCTION relais_statistics_contribution()`.execute(db);
  await sql`CREATE TRIGGER statistics_contribution_update AFTER UPDATE ON contribution FOR EACH ROW
    WHEN (OLD.submitted_at IS DISTINCT FROM NEW.submitted_at OR OLD.approved_at IS DISTINCT FROM NEW.approved_at
      OR OLD.status IS DISTINCT FROM NEW.status OR OLD.author_id IS DISTINCT FROM NEW.author_id
      OR OLD.department_id IS DISTINCT FROM NEW.department_id)
    EXECUTE FUNCTION relais_statistics_contribution()`.execute(db);

  await sql`CREATE FUNCTION relais_statistics_publication() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM relais_statistics_mark(OLD.published_at); END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM relais_statistics_mark(NEW.published_at); END IF;
      RETURN NULL;
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER statistics_publication_insert_delete AFTER INSERT OR DELETE ON publication
    FOR EACH ROW EXECUTE FUNCTION relais_statistics_publication()`.execute(db);
  await sql`CREATE TRIGGER statistics_publication_update AFTER UPDATE ON publication FOR EACH ROW
    WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at OR OLD.state IS DISTINCT FROM NEW.state
      OR OLD.channel_id IS DISTINCT FROM NEW.channel_id OR OLD.contribution_id IS DISTINCT FROM NEW.contribution_id)
    EXECUTE FUNCTION relais_statistics_publication()`.execute(db);

  // Thanks, comments and decisions: their own creation instant.
  await sql`CREATE FUNCTION relais_statistics_created() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM relais_statistics_mark(OLD.created_at); END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM relais_statistics_mark(NEW.created_at); END IF;
      RETURN NULL;
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER statistics_thanks AFTER INSERT OR DELETE OR UPDATE OF created_at, user_id, contribution_id
    ON thanks FOR EACH ROW EXECUTE FUNCTION relais_statistics_created()`.execute(db);
  await sql`CREATE TRIGGER statistics_comment AFTER INSERT OR DELETE OR UPDATE OF created_at, author_id, contribution_id
    ON comment FOR EACH ROW EXECUTE FUNCTION relais_statistics_created()`.execute(db);
  await sql`CREATE TRIGGER statistics_decision_event_insert AFTER INSERT ON contribution_event FOR EACH ROW
    WHEN (NEW.kind IN ('approved', 'changes_requested', 'rejected')) EXECUTE FUNCTION relais_statistics_created()`.execute(db);
  await sql`CREATE TRIGGER statistics_decision_event_delete AFTER DELETE ON contribution_event FOR EACH ROW
    WHEN (OLD.kind IN ('approved', 'changes_requested', 'rejected')) EXECUTE FUNCTION relais_statistics_created()`.execute(db);
  await sql`CREATE TRIGGER statistics_decision_event_update AFTER UPDATE ON contribution_event FOR EACH ROW
    WHEN (OLD.kind IN ('approved', 'changes_requested', 'rejected') OR NEW.kind IN ('approved', 'changes_requested', 'rejected'))
    EXECUTE FUNCTION relais_statistics_created()`.execute(db);
  // A comment's department is its writer's: moving someone marks the days they commented.
  await sql`CREATE FUNCTION relais_statistics_user() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM relais_statistics_mark(VARIADIC ARRAY(SELECT DISTINCT date_trunc('hour', created_at, 'UTC') FROM comment WHERE author_id = NEW.id));
      RETURN NULL;
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER statistics_user_department AFTER UPDATE OF department_id ON app_user FOR EACH ROW
    WHEN (OLD.department_id IS DISTINCT FROM NEW.department_id) EXECUTE FUNCTION relais_statistics_user()`.execute(db);

  // What a day's recomputation reads by time.
  await sql`CREATE INDEX contribution_submitted_idx ON contribution (submitted_at) WHERE submitted_at IS NOT NULL`.execute(db);
  await sql`CREATE INDEX contribution_approved_idx ON contribution (approved_at) WHERE approved_at IS NOT NULL`.execute(db);
  await sql`CREATE INDEX publication_published_at_idx ON publication (published_at) WHERE state = 'published'`.execute(db);
  await sql`CREATE INDEX thanks_created_idx ON thanks (created_at)`.execute(db);
  await sql`CREATE INDEX comment_created_idx ON comment (created_at)`.execute(db);
  await sql`CREATE INDEX contribution_event_decision_idx ON contribution_event (created_at)
    WHERE kind IN ('approved', 'changes_requested', 'rejected')`.execute(db);

  // What is already stored is counted by the first refresh: every hour with something in it.
  await sql`INSERT INTO statistics_dirty (at)
    SELECT DISTINCT date_trunc('hour', at, 'UTC') FROM (
      SELECT submitted_at AS at FROM contribution WHERE submitted_at IS NOT NULL
      UNION ALL SELECT approved_at FROM contribution WHERE approved_at IS NOT NULL
      UNION ALL SELECT published_at FROM publication WHERE published_at IS NOT NULL
      UNION ALL SELECT created_at FROM thanks
      UNION ALL SELECT created_at FROM comment
      UNION ALL SELECT created_at FROM contribution_event WHERE kind IN ('approved', 'changes_requested', 'rejected')
    ) x`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    "contribution_submitted_idx",
    "contribution_approved_idx",
    "publication_published_at_idx",
    "thanks_created_idx",
    "comment_created_idx",
    "contribution_event_decision_idx",
  ]) {
    await sql`DROP INDEX ${sql.id(index)}`.execute(db);
  }
  await sql`DROP TRIGGER statistics_user_department ON app_user`.execute(db);
  for (const op of ["insert", "delete", "update"]) await sql`DROP TRIGGER ${sql.id(`statistics_decision_event_${op}`)} ON contribution_event`.execute(db);
  await sql`DROP TRIGGER statistics_thanks ON thanks`.execute(db);
  await sql`DROP TRIGGER statistics_comment ON comment`.execute(db);
  await sql`DROP TRIGGER statistics_publication_insert_delete ON publication`.execute(db);
  await sql`DROP TRIGGER statistics_publication_update ON publication`.execute(db);
  await sql`DROP TRIGGER statistics_contribution_insert_delete ON contribution`.execute(db);
  await sql`DROP TRIGGER statistics_contribution_update ON contribution`.execute(db);
  for (const fn of ["relais_statistics_user", "relais_statistics_created", "relais_statistics_publication", "relais_statistics_contribution"]) {
    await sql`DROP FUNCTION ${sql.id(fn)}()`.execute(db);
  }
  await sql`DROP FUNCTION relais_statistics_mark(timestamptz[])`.execute(db);
  await sql`DROP TABLE statistics_dirty, statistics_decision, statistics_channel_day, statistics_department_day, statistics_contributor_day`.execute(db);
}
