import type { DB } from "~/db.server";

export interface PublishedPlace {
  contributionId: number;
  channel: string;
  url: string | null;
}

/**
 * Where these contributions were published outside ("publiée sur …" with the post's link), for
 * the contribution page and "mes contributions". The caller has already checked that the viewer
 * may see the contributions; a published post is public, so nothing more is hidden.
 */
export async function publishedPlaces(db: DB, contributionIds: number[]): Promise<PublishedPlace[]> {
  if (contributionIds.length === 0) return [];
  const rows = await db
    .selectFrom("publication as p")
    .innerJoin("channel as ch", "ch.id", "p.channel_id")
    .select(["p.contribution_id", "ch.name", "ch.kind", "ch.slug", "p.remote_url"])
    .where("p.contribution_id", "in", contributionIds)
    .where("p.state", "=", "published")
    .orderBy("p.published_at")
    .execute();
  // A feed item has no address of its own: the feed is where it can be read.
  return rows.map((r) => ({ contributionId: r.contribution_id, channel: r.name, url: r.remote_url ?? (r.kind === "feed" ? `/feeds/${r.slug}.rss` : null) }));
}
