import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one (CREATE OR REPLACE VIEW
// contribution_card_source, then refill: `SELECT relais_cards_refresh(array_agg(id)) FROM contribution`).
//
// A contribution's card (app/contributions/card.ts: what a feed and "mes contributions" show of it)
// is made when what it shows is written, not each time it is read (issue 13: "work on the hot path
// that belongs at write time"). Made at each read, a page of 21 cards asked PostgreSQL for nine
// subqueries a card (~100 µs a card: its author's and department's names, its cover, three counts,
// and for its author the latest decision, where it was published and who thanked); read from here,
// it is one row by primary key.
//
// `card` is FeedCard's JSON text, `became_of` the object of the keys MyCard adds (for the author
// only: the decision's message and who thanked are not the feed's). Statement triggers on every
// table a card reads remake the cards of the rows a statement changed in what a card shows (a
// publication not published, an event that is no decision, a contribution's new version number
// remake nothing), in one set-based statement (a bulk insert of thousands of thanks remakes each
// card once). Before remaking, relais_cards_refresh locks those contributions' rows (FOR NO KEY
// UPDATE, which leaves foreign-key checks alone), so two transactions writing about one
// contribution take turns, and the second one's INSERT, a new statement of a VOLATILE function
// under READ COMMITTED (a STABLE one would keep its snapshot), reads what the first committed: its
// count is not one short. A reader that finds no card (a row written with triggers disabled) makes
// it from the view (app/contributions/feeds.server.ts).
export async function up(db: Kysely<any>): Promise<void> {
  // Room left in each page so that a card remade (each thanks, each comment) stays on its page,
  // without a new index entry (a HOT update).
  await sql`CREATE TABLE contribution_card (
    id bigint PRIMARY KEY REFERENCES contribution (id) ON DELETE CASCADE,
    card text NOT NULL,
    became_of text NOT NULL
  ) WITH (fillfactor = 90)`.execute(db);

  await sql`CREATE VIEW contribution_card_source AS
    SELECT c.id,
      json_build_object(
        'id', c.id, 'title', c.title, 'status', c.status, 'approved_at', c.approved_at, 'updated_at', c.updated_at,
        'author_name', (SELECT a.display_name FROM app_user a WHERE a.id = c.author_id),
        'department_name', (SELECT d.name FROM department d WHERE d.id = c.department_id),
        'excerpt', left(c.body_text, 280),
        'cover', (SELECT json_build_object('id', p.id, 'placeholder', p.placeholder, 'width', p.width, 'height', p.height, 'alt', p.alt_text)
          FROM photo p WHERE p.contribution_id = c.id ORDER BY p.position LIMIT 1),
        'photo_count', (SELECT count(*) FROM photo p WHERE p.contribution_id = c.id),
        'thanks_count', (SELECT count(*) FROM thanks t WHERE t.contribution_id = c.id),
        'comment_count', (SELECT count(*) FROM comment m WHERE m.contribution_id = c.id)
      )::text AS card,
      json_build_object(
        'last_decision', (SELECT json_build_object('kind', e.kind, 'message', e.message) FROM contribution_event e
          WHERE e.contribution_id = c.id AND e.kind IN ('approved', 'changes_requested', 'rejected') ORDER BY e.id DESC LIMIT 1),
        -- As publishedPlacesJson (app/publishing/published.server.ts) with its reach.
        'published', (SELECT coalesce(json_agg(json_build_object(
            'channel', ch.name,
            'url', coalesce(p.remote_url, CASE WHEN ch.kind = 'feed' THEN '/feeds/' || ch.slug || '.rss' END),
            'publishedAt', p.published_at,
            'reach', CASE WHEN r.fetched_at IS NOT NULL AND r.shares IS NOT NULL AND r.likes IS NOT NULL AND r.replies IS NOT NULL
              THEN json_build_object('shares', r.shares, 'likes', r.likes, 'replies', r.replies, 'fetchedAt', r.fetched_at) END
          ) ORDER BY p.published_at, p.id), '[]')
          FROM publication p JOIN channel ch ON ch.id = p.channel_id LEFT JOIN publication_reach r ON r.publication_id = p.id
          WHERE p.contribution_id = c.id AND p.state = 'published'),
        -- The first eight to say thanks (THANKERS_SHOWN, app/contributions/comments.server.ts).
        'thankers', (SELECT coalesce(json_agg(x.display_name ORDER BY x.created_at, x.user_id), '[]')
          FROM (SELECT u.display_name, t.created_at, t.user_id FROM thanks t JOIN app_user u ON u.id = t.user_id
            WHERE t.contribution_id = c.id ORDER BY t.created_at, t.user_id LIMIT 8) x)
      )::text AS became_of
    FROM contribution c`.execute(db);

  await sql`CREATE FUNCTION relais_cards_refresh(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      IF coalesce(cardinality(ids), 0) = 0 THEN RETURN; END IF;
      PERFORM 1 FROM contribution WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
      INSERT INTO contribution_card (id, card, became_of)
        SELECT s.id, s.card, s.became_of FROM contribution_card_source s WHERE s.id = ANY (ids)
        ON CONFLICT (id) DO UPDATE SET card = EXCLUDED.card, became_of = EXCLUDED.became_of
        WHERE (contribution_card.card, contribution_card.became_of) IS DISTINCT FROM (EXCLUDED.card, EXCLUDED.became_of);
    END $$`.execute(db);

  // Which contributions a statement's rows are about, by table, among the rows whose change a card
  // shows (TG_OP says which transition tables exist).
  await sql`CREATE FUNCTION relais_cards_after_contribution() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM relais_cards_refresh(ARRAY(SELECT id FROM new_rows));
      ELSE
        PERFORM relais_cards_refresh(ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE (n.title, n.status, n.approved_at, n.updated_at, n.author_id, n.department_id, n.body_text)
            IS DISTINCT FROM (o.title, o.status, o.approved_at, o.updated_at, o.author_id, o.department_id, o.body_text)));
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  // Photos, thanks, comments: any row counts (a count, the cover). Events: decisions only (the latest
  // one is shown). Publications: those published, before or after the statement (the queue's others
  // are not shown).
  await cardsOfRows(db, "relais_cards_after_part", "true");
  await cardsOfRows(db, "relais_cards_after_event", "kind IN ('approved', 'changes_requested', 'rejected')");
  await cardsOfRows(db, "relais_cards_after_publication", "state = 'published'");
  // A post's figures: when those shown change (not the next reading's time).
  await sql`CREATE FUNCTION relais_cards_after_reach() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM relais_cards_refresh(ARRAY(SELECT DISTINCT p.contribution_id FROM publication p JOIN new_rows r ON r.publication_id = p.id));
      ELSIF TG_OP = 'UPDATE' THEN
        PERFORM relais_cards_refresh(ARRAY(SELECT DISTINCT p.contribution_id FROM publication p
          JOIN new_rows n ON n.publication_id = p.id JOIN old_rows o ON o.publication_id = n.publication_id
          WHERE (n.shares, n.likes, n.replies, n.fetched_at) IS DISTINCT FROM (o.shares, o.likes, o.replies, o.fetched_at)));
      ELSE
        PERFORM relais_cards_refresh(ARRAY(SELECT DISTINCT p.contribution_id FROM publication p JOIN old_rows r ON r.publication_id = p.id));
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE FUNCTION relais_cards_after_channel() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM relais_cards_refresh(ARRAY(SELECT DISTINCT p.contribution_id FROM publication p
        JOIN new_rows n ON n.id = p.channel_id JOIN old_rows o ON o.id = n.id
        WHERE p.state = 'published' AND (n.name, n.kind, n.slug) IS DISTINCT FROM (o.name, o.kind, o.slug)));
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE FUNCTION relais_cards_after_person() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM relais_cards_refresh(ARRAY(
        SELECT c.id FROM contribution c JOIN new_rows n ON n.id = c.author_id JOIN old_rows o ON o.id = n.id
          WHERE n.display_name IS DISTINCT FROM o.display_name
        UNION
        SELECT t.contribution_id FROM thanks t JOIN new_rows n ON n.id = t.user_id JOIN old_rows o ON o.id = n.id
          WHERE n.display_name IS DISTINCT FROM o.display_name));
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE FUNCTION relais_cards_after_department() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM relais_cards_refresh(ARRAY(SELECT c.id FROM contribution c JOIN new_rows n ON n.id = c.department_id
        JOIN old_rows o ON o.id = n.id WHERE n.name IS DISTINCT FROM o.name));
      RETURN NULL;
    END $$`.execute(db);
  // A table emptied at once (nothing in the app does it): every card is remade.
  await sql`CREATE FUNCTION relais_cards_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM relais_cards_refresh(ARRAY(SELECT id FROM contribution));
      RETURN NULL;
    END $$`.execute(db);

  for (const [table, fn, events] of TRIGGERS) {
    for (const event of events) {
      const transition = event === "INSERT" ? sql`NEW TABLE AS new_rows` : event === "DELETE" ? sql`OLD TABLE AS old_rows` : sql`OLD TABLE AS old_rows NEW TABLE AS new_rows`;
      await sql`CREATE TRIGGER ${sql.id(`${table}_cards_${event.toLowerCase()}`)} AFTER ${sql.raw(event)} ON ${sql.table(table)}
        REFERENCING ${transition} FOR EACH STATEMENT EXECUTE FUNCTION ${sql.raw(fn)}()`.execute(db);
    }
  }
  for (const table of TRUNCATED) {
    await sql`CREATE TRIGGER ${sql.id(`${table}_cards_truncate`)} AFTER TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION relais_cards_after_truncate()`.execute(db);
  }

  await sql`INSERT INTO contribution_card (id, card, became_of) SELECT id, card, became_of FROM contribution_card_source`.execute(db);
  await sql`ANALYZE contribution_card`.execute(db);
}

/**
 * A trigger function `name` that remakes the cards of the contributions (`contribution_id`) of the
 * statement's rows, before or after it, for which `shown` (SQL on such a row) holds.
 */
async function cardsOfRows(db: Kysely<any>, name: string, shown: string) {
  const where = sql.raw(shown);
  await sql`CREATE FUNCTION ${sql.raw(name)}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM relais_cards_refresh(ARRAY(SELECT DISTINCT contribution_id FROM new_rows WHERE ${where}));
      ELSIF TG_OP = 'UPDATE' THEN
        PERFORM relais_cards_refresh(ARRAY(SELECT contribution_id FROM new_rows WHERE ${where}
          UNION SELECT contribution_id FROM old_rows WHERE ${where}));
      ELSE
        PERFORM relais_cards_refresh(ARRAY(SELECT DISTINCT contribution_id FROM old_rows WHERE ${where}));
      END IF;
      RETURN NULL;
    END $$`.execute(db);
}

const ALL = ["INSERT", "UPDATE", "DELETE"] as const;
const TRIGGERS: [string, string, readonly ("INSERT" | "UPDATE" | "DELETE")[]][] = [
  ["contribution", "relais_cards_after_contribution", ["INSERT", "UPDATE"]],
  ["photo", "relais_cards_after_part", ALL],
  ["thanks", "relais_cards_after_part", ALL],
  ["comment", "relais_cards_after_part", ["INSERT", "DELETE"]],
  ["contribution_event", "relais_cards_after_event", ALL],
  ["publication", "relais_cards_after_publication", ALL],
  ["publication_reach", "relais_cards_after_reach", ALL],
  ["channel", "relais_cards_after_channel", ["UPDATE"]],
  ["app_user", "relais_cards_after_person", ["UPDATE"]],
  ["department", "relais_cards_after_department", ["UPDATE"]],
];
const TRUNCATED = ["photo", "thanks", "comment", "contribution_event", "publication", "publication_reach"];

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, , events] of TRIGGERS) {
    for (const event of events) await sql`DROP TRIGGER ${sql.id(`${table}_cards_${event.toLowerCase()}`)} ON ${sql.table(table)}`.execute(db);
  }
  for (const table of TRUNCATED) await sql`DROP TRIGGER ${sql.id(`${table}_cards_truncate`)} ON ${sql.table(table)}`.execute(db);
  for (const fn of ["contribution", "part", "event", "publication", "reach", "channel", "person", "department", "truncate"]) {
    await sql`DROP FUNCTION ${sql.raw(`relais_cards_after_${fn}`)}()`.execute(db);
  }
  await sql`DROP FUNCTION relais_cards_refresh(bigint[])`.execute(db);
  await sql`DROP VIEW contribution_card_source`.execute(db);
  await sql`DROP TABLE contribution_card`.execute(db);
}
