import type { DB } from "~/db.server";

export interface PublishedPlace {
  contributionId: number;
  channel: string;
  url: string | null;
  publishedAt: Date;
  /** The post's latest figures (Mastodon, Bluesky), when asked for and read at least once. */
  reach?: { shares: number; likes: number; replies: number; fetchedAt: Date } | null;
}

/**
 * Where these contributions were published outside ("publiée sur …" with the post's link), for
 * the contribution page and "mes contributions". The caller has already checked that the viewer
 * may see the contributions; a published post is public, so nothing more is hidden. Its reach
 * (`withReach`) is for the contribution's author and comms only: the caller decides.
 */
export async function publishedPlaces(db: DB, contributionIds: number[], options: { withReach?: boolean } = {}): Promise<PublishedPlace[]> {
  if (contributionIds.length === 0) return [];
  const rows = await db
    .selectFrom("publication as p")
    .innerJoin("channel as ch", "ch.id", "p.channel_id")
    .leftJoin("publication_reach as r", "r.publication_id", "p.id")
    .select(["p.contribution_id", "ch.name", "ch.kind", "ch.slug", "p.remote_url", "p.published_at", "r.shares", "r.likes", "r.replies", "r.fetched_at"])
    .where("p.contribution_id", "in", contributionIds)
    .where("p.state", "=", "published")
    .orderBy("p.published_at")
    .execute();
  // A feed item has no address of its own: the feed is where it can be read.
  return rows.map((r) => ({
    contributionId: r.contribution_id,
    channel: r.name,
    url: r.remote_url ?? (r.kind === "feed" ? `/feeds/${r.slug}.rss` : null),
    publishedAt: new Date(r.published_at!),
    ...(options.withReach
      ? { reach: r.fetched_at !== null && r.shares !== null && r.likes !== null && r.replies !== null ? { shares: r.shares, likes: r.likes, replies: r.replies, fetchedAt: new Date(r.fetched_at) } : null }
      : {}),
  }));
}
