/**
 * The publishing queue's data for the HTTP benchmark (http.ts): four channels (Mastodon, Bluesky,
 * a feed, a manual kit) and 100,000 publications (BENCH_PUBLICATIONS) over the seeded approved
 * contributions, one every 30 minutes on each channel from a year ago to about five months ahead,
 * in every state; and a calendar token for the comms bench user (bench-3). Seeded once, by one
 * INSERT … SELECT; a cluster that has publications keeps them.
 *
 * Channels get no sealed secrets (the column may be null): the queue and the calendar never read
 * them, and the bench's server has no SECRETS_KEY.
 */
import type { Db } from "../../db/pool";

export const PUBLICATIONS = Number(process.env.BENCH_PUBLICATIONS ?? 100_000);
if (!Number.isSafeInteger(PUBLICATIONS) || PUBLICATIONS < 1_000) throw new Error("BENCH_PUBLICATIONS : un entier >= 1000 est attendu");

/** Who the bench signs in as comms. */
export const COMMS_USER = "bench-3";
const DEFAULT_SLOTS = JSON.stringify([1, 2, 3, 4, 5].flatMap((weekday) => [{ weekday, time: "09:00" }, { weekday, time: "18:30" }]));
const CHANNELS = [
  { kind: "mastodon", name: "Mastodon de la ville", slug: "bench-mastodon", settings: { instanceUrl: "https://mastodon.example" }, limit: 500, aspect: "16:9" },
  { kind: "bluesky", name: "Bluesky de la ville", slug: "bench-bluesky", settings: { service: "https://bsky.social", identifier: "ville.example" }, limit: 300, aspect: "4:5" },
  { kind: "feed", name: "Actualités du site", slug: "bench-feed", settings: { description: "Les actualités des services" }, limit: 10000, aspect: "1.91:1" },
  { kind: "manual", name: "Kit Instagram", slug: "bench-manual", settings: {}, limit: 2200, aspect: "4:5" },
];
/** Minutes between two publications of one channel: 4 channels × 48 a day. */
const STEP_MINUTES = 30;

/**
 * Seeds the channels and publications unless there are publications already; returns the comms
 * user's calendar token (a new one at each run: only its hash is stored).
 */
export async function seedPublishing(database: Db): Promise<{ calendarToken: string }> {
  const { pool } = database;
  await pool.query(`UPDATE app_user SET role = 'comms' WHERE id = $1 AND role <> 'comms'`, [COMMS_USER]);
  const started = performance.now();
  const { rows: existing } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM publication");
  if (existing[0].n === 0) {
    await pool.query(
      `INSERT INTO channel (kind, name, slug, settings, character_limit, image_aspect, slots)
       SELECT c->>'kind', c->>'name', c->>'slug', c->'settings', (c->>'limit')::int, c->>'aspect', $2::jsonb
       FROM jsonb_array_elements($1::jsonb) c
       ON CONFLICT (slug) DO NOTHING`,
      [JSON.stringify(CHANNELS), DEFAULT_SLOTS],
    );
    // Publication g goes on channel g % 4, k = g / 4 in its channel's run of slots (one every
    // STEP_MINUTES: (channel, scheduled_at) is unique), on the approved contribution (k + offset)
    // mod n: distinct within a channel for any n consecutive k. With fewer approved contributions
    // than slots (a small BENCH_ROWS) the oldest are cancelled, outside both partial unique indexes.
    await pool.query(
      `WITH ch AS (SELECT id, row_number() OVER (ORDER BY id)::int - 1 AS i, count(*) OVER ()::int AS n FROM channel WHERE slug LIKE 'bench-%'),
       a AS (SELECT c.id, c.title, left(c.body_text, 240) AS body, row_number() OVER (ORDER BY c.id)::int - 1 AS i
             FROM contribution c WHERE c.status = 'approved'),
       na AS (SELECT count(*)::int AS n FROM a),
       g AS (
         SELECT g, ch.id AS channel_id, ch.i AS ci, g / ch.n AS k, ($1::int - 1) / ch.n - g / ch.n AS from_last,
                date_trunc('hour', now() - interval '365 days') + (g / ch.n) * $2::int * interval '1 minute' AS at,
                random() AS r
         FROM generate_series(0, $1::int - 1) g JOIN ch ON ch.i = g % ch.n
       ),
       p AS (
         SELECT g.*, a.id AS contribution_id, a.title, a.body,
           CASE
             WHEN g.from_last >= na.n THEN 'cancelled'
             WHEN g.at < now() - interval '1 hour' THEN
               CASE WHEN r < 0.88 THEN 'published' WHEN r < 0.92 THEN 'failed' WHEN r < 0.94 THEN 'held' ELSE 'cancelled' END
             WHEN g.at < now() THEN CASE WHEN r < 0.5 THEN 'publishing' ELSE 'published' END
             ELSE CASE WHEN r < 0.70 THEN 'scheduled' WHEN r < 0.90 THEN 'queued' WHEN r < 0.93 THEN 'held'
                       WHEN r < 0.95 THEN 'failed' ELSE 'cancelled' END
           END AS state
         FROM g CROSS JOIN na JOIN a ON a.i = (g.k + g.ci * (na.n / 4)) % na.n
       )
       INSERT INTO publication (contribution_id, channel_id, text, scheduled_at, state, held_reason, attempts, remote_id,
         remote_url, last_error, published_at, first_attempt_at, created_by, created_at, updated_at)
       SELECT contribution_id, channel_id, title || E'\\n\\n' || body || E'\\n\\nContribution du service', at, state,
         CASE WHEN state = 'held' THEN 'Photo 1 : le droit à l''image a été retiré' END,
         CASE WHEN state IN ('published', 'failed') THEN 1 + (g % 3) ELSE 0 END,
         CASE WHEN state = 'published' THEN 'bench-' || g END,
         CASE WHEN state = 'published' THEN 'https://mastodon.example/@ville/' || g END,
         CASE WHEN state = 'failed' THEN 'Le réseau a refusé la publication (422) : texte trop long' END,
         CASE WHEN state = 'published' THEN at + interval '2 seconds' END,
         CASE WHEN state IN ('published', 'failed', 'publishing') THEN at END,
         $3, at - interval '3 days', at - interval '3 days'
       FROM p`,
      [PUBLICATIONS, STEP_MINUTES, COMMS_USER],
    );
    await pool.query("VACUUM (ANALYZE) publication");
    await pool.query("ANALYZE channel");
    const { rows } = await pool.query<{ state: string; n: number }>("SELECT state, count(*)::int AS n FROM publication GROUP BY state ORDER BY state");
    console.log(
      `seeded ${PUBLICATIONS.toLocaleString("en")} publications on ${CHANNELS.length} channels in ${((performance.now() - started) / 1000).toFixed(0)} s ` +
        `(${rows.map((r) => `${r.state} ${r.n}`).join(", ")})`,
    );
  } else {
    // A migration may have added an index, and later runs changed rows: vacuumed as autovacuum keeps a
    // live table (the calendar's counts read the index alone once the pages are all-visible).
    await pool.query("VACUUM (ANALYZE) publication");
  }
  const { createCalendarToken } = await import("../../app/publishing/calendar-feed.server");
  const { token } = await createCalendarToken(database.db, { id: COMMS_USER, role: "comms", departmentId: null });
  return { calendarToken: token };
}
