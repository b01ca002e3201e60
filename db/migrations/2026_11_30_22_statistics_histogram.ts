import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// The organisation-wide dashboard's medians (issue 11, "Scale"): sorting every decision of a year
// (120,000 rows on the bench) on each page load cost more than everything else on the page. Decisions
// counted per department, month and duration bucket instead: a bucket is the duration rounded down
// to the minute under a day and to the hour from a day on, which is what the page shows ("3 h 12 min",
// "2 j 5 h"). A month of a department has at most a few thousand buckets whatever the number of
// decisions. Recomputed with the days of statistics_decision it is made from (rollups.server.ts).
//
// The same page summed every department's days of the period (36,000 rows for a year) for each
// department's totals and the months each one contributed in: department-months (1,200 rows a
// year) hold the same sums, recomputed with their days. Days stay for the weekly chart, a
// department's own view, and the ends of periods that do not begin or end with a month.
const FIGURES = [
  "submitted_in_review",
  "submitted_changes_requested",
  "submitted_approved",
  "submitted_rejected",
  "approved",
  "published",
  "thanks_received",
  "comments_written",
  "decisions",
  "changes_requested",
  "rejected",
];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE statistics_department_month (
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    department_id bigint NOT NULL REFERENCES department (id) ON DELETE CASCADE,
    ${sql.join(FIGURES.map((f) => sql`${sql.id(f)} integer NOT NULL DEFAULT 0`))},
    PRIMARY KEY (month, department_id)
  )`.execute(db);
  await sql`INSERT INTO statistics_department_month (month, department_id, ${sql.join(FIGURES.map((f) => sql.id(f)))})
    SELECT date_trunc('month', day)::date, department_id, ${sql.join(FIGURES.map((f) => sql`sum(${sql.id(f)})`))}
    FROM statistics_department_day GROUP BY 1, 2`.execute(db);

  await sql`CREATE TABLE statistics_decision_month (
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    department_id bigint NOT NULL REFERENCES department (id) ON DELETE CASCADE,
    -- The bucket's lower bound, in seconds.
    bucket integer NOT NULL CHECK (bucket >= 0),
    decisions integer NOT NULL CHECK (decisions > 0),
    PRIMARY KEY (month, department_id, bucket)
  )`.execute(db);
  await sql`INSERT INTO statistics_decision_month (month, department_id, bucket, decisions)
    SELECT date_trunc('month', day)::date, department_id,
      CASE WHEN seconds < 86400 THEN seconds - seconds % 60 ELSE seconds - seconds % 3600 END, count(*)
    FROM statistics_decision GROUP BY 1, 2, 3`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE statistics_decision_month, statistics_department_month`.execute(db);
}
