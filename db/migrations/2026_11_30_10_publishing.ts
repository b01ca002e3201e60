import { sql, type Kysely } from "kysely";

// Frozen: never edit a migration that has shipped; add a new one.
//
// The external publishing queue: channels (where comms publish), publications (one contribution
// on one channel, with its text, photos and time), and each user's calendar token.
//
// "Live" below means every state but `cancelled`: a publication that failed still holds its slot
// and its place on the channel (it can be retried), a published one stays the contribution's post
// on that channel. The two partial unique indexes are what keeps two comms members asking at once
// from getting the same slot: the loser's insert fails and it takes the next slot.
export async function up(db: Kysely<any>): Promise<void> {
  // Contributors who do not want to be named in the credit line of external posts.
  await sql`ALTER TABLE app_user ADD COLUMN credit_opt_out boolean NOT NULL DEFAULT false`.execute(db);
  // Two notifications: "publiée sur <channel>" for the contributor, a disabled channel for comms.
  await sql`ALTER TABLE notification DROP CONSTRAINT notification_kind_check,
    ADD CONSTRAINT notification_kind_check CHECK (kind IN ('approved', 'changes_requested', 'rejected', 'commented',
      'thanked', 'submitted', 'rights_alert', 'published', 'channel_disabled'))`.execute(db);
  await sql`ALTER TABLE app_user ALTER COLUMN email_kinds
    SET DEFAULT '{approved,changes_requested,rejected,commented,submitted,rights_alert,published,channel_disabled}'`.execute(db);

  await sql`CREATE TABLE channel (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('mastodon', 'bluesky', 'webhook', 'feed', 'manual')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    slug text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 60),
    -- What is not secret: instance URL, Bluesky service and handle, webhook URL and header name.
    settings jsonb NOT NULL DEFAULT '{}',
    -- Tokens, app passwords, webhook secrets: JSON sealed by app/publishing/secrets.server.ts
    -- with the context 'channel:<id>'. Never selected into what a browser receives.
    secret_sealed text,
    character_limit integer NOT NULL CHECK (character_limit BETWEEN 1 AND 100000),
    image_aspect text NOT NULL CHECK (image_aspect IN ('1:1', '4:5', '1.91:1', '16:9')),
    -- [{"weekday": 1..7, "time": "HH:MM"}], local times in the organisation's time zone.
    slots jsonb NOT NULL CHECK (jsonb_typeof(slots) = 'array'),
    enabled boolean NOT NULL DEFAULT true,
    disabled_reason text CHECK (length(disabled_reason) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (enabled OR disabled_reason IS NOT NULL)
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX channel_slug_key ON channel (slug)`.execute(db);

  await sql`CREATE TABLE publication (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contribution_id bigint NOT NULL REFERENCES contribution (id) ON DELETE CASCADE,
    channel_id bigint NOT NULL REFERENCES channel (id) ON DELETE RESTRICT,
    text text NOT NULL CHECK (length(text) <= 100000),
    scheduled_at timestamptz NOT NULL,
    state text NOT NULL DEFAULT 'queued'
      CHECK (state IN ('queued', 'scheduled', 'publishing', 'published', 'failed', 'cancelled', 'held')),
    held_reason text,
    attempts integer NOT NULL DEFAULT 0,
    -- Chosen once, sent at every try: Mastodon's Idempotency-Key, the webhook-id.
    idempotency_key uuid NOT NULL DEFAULT gen_random_uuid(),
    -- Bluesky: the record key and createdAt, chosen at the first try and kept, so that a repeat
    -- writes the very same record.
    bluesky_rkey text,
    bluesky_created_at timestamptz,
    first_attempt_at timestamptz,
    remote_id text,
    remote_url text CHECK (remote_url ~ '^https?://'),
    last_error text,
    published_at timestamptz,
    created_by text REFERENCES app_user (id) ON DELETE SET NULL,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (state <> 'held' OR held_reason IS NOT NULL),
    CHECK (state <> 'published' OR published_at IS NOT NULL)
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX publication_channel_slot_key ON publication (channel_id, scheduled_at)
    WHERE state <> 'cancelled'`.execute(db);
  await sql`CREATE UNIQUE INDEX publication_contribution_channel_key ON publication (contribution_id, channel_id)
    WHERE state <> 'cancelled'`.execute(db);
  // The queue and the calendar read by time across channels.
  await sql`CREATE INDEX publication_scheduled_idx ON publication (scheduled_at, id)`.execute(db);
  // A feed lists its channel's published items, newest first.
  await sql`CREATE INDEX publication_published_idx ON publication (channel_id, published_at DESC, id DESC)
    WHERE state = 'published'`.execute(db);

  await sql`CREATE TABLE publication_photo (
    publication_id bigint NOT NULL REFERENCES publication (id) ON DELETE CASCADE,
    photo_id bigint NOT NULL REFERENCES photo (id) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position >= 0),
    -- NULL: the channel's aspect, the photo's own focal point.
    aspect text CHECK (aspect IN ('1:1', '4:5', '1.91:1', '16:9')),
    focus_x real CHECK (focus_x BETWEEN 0 AND 1),
    focus_y real CHECK (focus_y BETWEEN 0 AND 1),
    -- The crop as it was published (a feed lists its size), NULL before.
    width integer,
    height integer,
    bytes integer,
    PRIMARY KEY (publication_id, photo_id),
    UNIQUE (publication_id, position),
    CHECK ((focus_x IS NULL) = (focus_y IS NULL))
  )`.execute(db);
  // A withdrawn or expired image right holds every publication using the photo.
  await sql`CREATE INDEX publication_photo_photo_idx ON publication_photo (photo_id)`.execute(db);

  await sql`CREATE TABLE calendar_token (
    user_id text PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    -- SHA-256 of the token, hex: the token itself is shown once.
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE calendar_token`.execute(db);
  await sql`DROP TABLE publication_photo`.execute(db);
  await sql`DROP TABLE publication`.execute(db);
  await sql`DROP TABLE channel`.execute(db);
  await sql`DELETE FROM notification WHERE kind IN ('published', 'channel_disabled')`.execute(db);
  await sql`ALTER TABLE notification DROP CONSTRAINT notification_kind_check,
    ADD CONSTRAINT notification_kind_check CHECK (kind IN ('approved', 'changes_requested', 'rejected', 'commented',
      'thanked', 'submitted', 'rights_alert'))`.execute(db);
  await sql`ALTER TABLE app_user ALTER COLUMN email_kinds
    SET DEFAULT '{approved,changes_requested,rejected,commented,submitted,rights_alert}'`.execute(db);
  await sql`ALTER TABLE app_user DROP COLUMN credit_opt_out`.execute(db);
}
