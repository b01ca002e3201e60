import { sql, type RawBuilder } from "kysely";
import type { PublishedPlace } from "~/contributions/card";
import type { DB } from "~/db.server";

export type { PublishedPlace };

/**
 * Where the contribution `contributionId` (a SQL expression) was published outside ("publiée sur
 * …" with the post's link), oldest first, as a JSON array (PublishedPlace) made by PostgreSQL, for
 * the contribution page. "Mes contributions" reads the same from the card (its `published`, with the
 * reach; migration 27 holds that copy of this SQL: change both). The caller has already checked that
 * the viewer may see the contribution; a published post is public, so nothing more is hidden. Its
 * reach (`withReach`) is for the contribution's author and comms only: the caller decides.
 */
function publishedPlacesJson(contributionId: RawBuilder<unknown>, options: { withReach?: boolean } = {}) {
  // A feed item has no address of its own: the feed is where it can be read.
  const reach = options.withReach
    ? sql`, 'reach', CASE WHEN r.fetched_at IS NOT NULL AND r.shares IS NOT NULL AND r.likes IS NOT NULL AND r.replies IS NOT NULL
        THEN json_build_object('shares', r.shares, 'likes', r.likes, 'replies', r.replies, 'fetchedAt', r.fetched_at) END`
    : sql``;
  return sql<PublishedPlace[]>`(SELECT coalesce(json_agg(json_build_object(
      'channel', ch.name,
      'url', coalesce(p.remote_url, CASE WHEN ch.kind = 'feed' THEN '/feeds/' || ch.slug || '.rss' END),
      'publishedAt', p.published_at${reach}) ORDER BY p.published_at, p.id), '[]')
    FROM publication p JOIN channel ch ON ch.id = p.channel_id LEFT JOIN publication_reach r ON r.publication_id = p.id
    WHERE p.contribution_id = ${contributionId} AND p.state = 'published')`;
}

/** Where one contribution was published (publishedPlacesJson). */
export async function publishedPlaces(db: DB, contributionId: number, options: { withReach?: boolean } = {}): Promise<PublishedPlace[]> {
  const { rows } = await sql<{ places: PublishedPlace[] }>`SELECT ${publishedPlacesJson(sql`${contributionId}::bigint`, options)} AS places`.execute(db);
  return rows[0].places;
}
