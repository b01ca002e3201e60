import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// The reach of what was published on Mastodon and Bluesky: the latest figures the network gave
// for each post (shares, likes, replies; quotes on Bluesky), and when to ask again. The
// fetch_reach job reads them for 30 days after posting, hourly the first day and daily after;
// `next_fetch_at` NULL means it stopped (30 days passed, or the post is gone). Counts of a public
// post: nothing here names a person.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE publication_reach (
    publication_id bigint PRIMARY KEY REFERENCES publication (id) ON DELETE CASCADE,
    shares integer CHECK (shares >= 0),
    likes integer CHECK (likes >= 0),
    replies integer CHECK (replies >= 0),
    -- Bluesky's quote posts; NULL on Mastodon, which does not count them.
    quotes integer CHECK (quotes >= 0),
    -- When the figures above were read; NULL until the first answer.
    fetched_at timestamptz,
    next_fetch_at timestamptz,
    -- Why fetching stopped: 'ended' (30 days passed) or 'gone' (the network no longer has the post).
    stopped text CHECK (stopped IN ('ended', 'gone')),
    -- Failed reads in a row, and the last one's message (for comms).
    failures integer NOT NULL DEFAULT 0,
    last_error text CHECK (length(last_error) <= 2000),
    CHECK ((shares IS NULL) = (fetched_at IS NULL)),
    CHECK (next_fetch_at IS NULL OR stopped IS NULL)
  )`.execute(db);
  // The job takes the publications whose next read is due, oldest due first.
  await sql`CREATE INDEX publication_reach_due_idx ON publication_reach (next_fetch_at) WHERE next_fetch_at IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE publication_reach`.execute(db);
}
