/**
 * The statistics' data for the HTTP benchmark (http.ts): the seeded contributions carry
 * submitted_at and approved_at but no history, so each gets its `submitted` event and, once
 * decided, its decision (approved at approved_at; changes requested or rejected some hours after
 * submission), set-based and once; then the roll-ups are rebuilt from the base tables, as after a
 * bulk import (app/statistics/rollups.server.ts), unless they are there already.
 */
import type { Db } from "../../db/pool";

export async function seedStatistics(database: Db): Promise<void> {
  const { pool, db } = database;
  const started = performance.now();
  const { rows: events } = await pool.query<{ n: boolean }>("SELECT EXISTS (SELECT 1 FROM contribution_event WHERE kind = 'submitted') AS n");
  if (!events[0].n) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      // The triggers would mark each event's hour one row at a time; the rebuild below reads everything anyway.
      await client.query("SET LOCAL session_replication_role = replica");
      await client.query(`INSERT INTO contribution_event (contribution_id, actor_id, kind, created_at)
        SELECT id, author_id, 'submitted', submitted_at FROM contribution WHERE submitted_at IS NOT NULL ORDER BY id`);
      await client.query(`INSERT INTO contribution_event (contribution_id, actor_id, kind, created_at)
        SELECT id, 'bench-3',
               CASE WHEN status IN ('approved', 'archived') THEN 'approved' ELSE status END,
               CASE WHEN status IN ('approved', 'archived') THEN approved_at ELSE submitted_at + (id % 96) * interval '1 hour' END
        FROM contribution WHERE status IN ('approved', 'archived', 'changes_requested', 'rejected') AND submitted_at IS NOT NULL
          AND (approved_at IS NOT NULL OR status NOT IN ('approved', 'archived'))
        ORDER BY id`);
      // The cards' latest decision (migration 27), which the disabled triggers would have made, for these rows alone.
      await client.query(`INSERT INTO contribution_card (id, card, became_of)
        SELECT s.id, s.card, s.became_of FROM contribution_card_source s
        WHERE s.id IN (SELECT contribution_id FROM contribution_event WHERE kind <> 'submitted')
        ON CONFLICT (id) DO UPDATE SET card = EXCLUDED.card, became_of = EXCLUDED.became_of`);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
    await pool.query("ANALYZE contribution_event");
  }
  const { rows: built } = await pool.query<{ n: boolean }>("SELECT EXISTS (SELECT 1 FROM statistics_department_day) AS n");
  const { rebuildStatistics, refreshStatistics } = await import("../../app/statistics/rollups.server");
  if (!built[0].n) await rebuildStatistics(db);
  else await refreshStatistics(db);
  // Vacuumed as autovacuum would have by then: index-only scans read no heap (medians read 0 pages instead of 24,000).
  await pool.query("VACUUM ANALYZE statistics_contributor_day, statistics_department_day, statistics_channel_day, statistics_decision");
  const { rows } = await pool.query<{ days: number; decisions: number }>(
    "SELECT (SELECT count(*)::int FROM statistics_contributor_day) AS days, (SELECT count(*)::int FROM statistics_decision) AS decisions",
  );
  console.log(`statistics: ${rows[0].days} contributor-days, ${rows[0].decisions} decisions in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
