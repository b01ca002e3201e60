import type { DB } from "~/db.server";
import { publicUrl } from "~/env.server";
import { externalBlocks } from "~/photos/rights.server";
import { feedChannelBySlug } from "./channels.server";
import { feedImagePath, renderPublicationPhotos } from "./delivery.server";
import { atomFeed, FEED_TYPES, feedUrls, jsonFeed, rssFeed, type FeedFormat, type FeedItem } from "./feeds.server";

/*
 * The public side of a feed channel: `/feeds/<slug>.rss|.atom|.json` and its pictures. Read by
 * anyone, without an account: only what was published on that feed channel shows, and a photo
 * whose image right was withdrawn or expired since stops being served.
 */

/** Items per feed: readers poll; the website keeps its own archive. */
const FEED_LENGTH = 50;

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The publication's text as HTML paragraphs (it is plain text written for the channel). */
function textAsHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, "<br>")}</p>`)
    .join("");
}

/** Photo numbers (1-based, in the contribution) usable outside today, per contribution. */
async function usablePhotoIds(db: DB, contributionId: number): Promise<Set<number>> {
  const photos = await db.selectFrom("photo").select("id").where("contribution_id", "=", contributionId).orderBy("position").execute();
  // A feed is the website's: an authorisation of the consent register must allow the website.
  const blocked = new Set((await externalBlocks(db, contributionId, "website")).map((b) => b.photo));
  return new Set(photos.filter((_, i) => !blocked.has(i + 1)).map((p) => p.id));
}

/** A feed channel's document in `format`, or null when there is no feed channel by that slug. */
export async function publicFeed(db: DB, slug: string, format: FeedFormat): Promise<{ body: string; contentType: string } | null> {
  const channel = await feedChannelBySlug(db, slug);
  if (!channel) return null;
  const site = publicUrl();
  const rows = await db
    .selectFrom("publication as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .innerJoin("app_user as a", "a.id", "c.author_id")
    .select(["p.id", "p.text", "p.idempotency_key", "p.published_at", "p.contribution_id", "c.title", "a.display_name", "a.credit_opt_out"])
    .where("p.channel_id", "=", channel.id)
    .where("p.state", "=", "published")
    .orderBy("p.published_at", "desc")
    .orderBy("p.id", "desc")
    .limit(FEED_LENGTH)
    .execute();
  const items: FeedItem[] = [];
  for (const row of rows) {
    const usable = await usablePhotoIds(db, row.contribution_id);
    const photos = await db
      .selectFrom("publication_photo as pp")
      .innerJoin("photo as ph", "ph.id", "pp.photo_id")
      .select(["pp.photo_id", "pp.position", "pp.width", "pp.height", "pp.bytes", "ph.alt_text"])
      .where("pp.publication_id", "=", row.id)
      .orderBy("pp.position")
      .execute();
    const published = new Date(row.published_at!);
    items.push({
      id: `urn:uuid:${row.idempotency_key}`,
      title: row.title,
      // The intranet's pages are not public: an item's address is its place in the feed.
      url: `${feedUrls({ siteUrl: site, slug }).rss}#publication-${row.id}`,
      published,
      updated: published,
      contentHtml: textAsHtml(row.text),
      summary: row.text,
      author: row.credit_opt_out ? null : row.display_name,
      images: photos
        .filter((ph) => usable.has(ph.photo_id) && ph.width && ph.height && ph.bytes)
        .map((ph) => ({
          url: new URL(feedImagePath(slug, row.id, ph.position + 1), site).href,
          width: ph.width!,
          height: ph.height!,
          bytes: ph.bytes!,
          type: "image/jpeg",
          alt: ph.alt_text,
        })),
    });
  }
  const feed = { title: channel.name, slug, siteUrl: site, description: channel.settings.description, language: "fr" };
  const body = format === "rss" ? rssFeed(feed, items) : format === "atom" ? atomFeed(feed, items) : jsonFeed(feed, items);
  return { body, contentType: FEED_TYPES[format] };
}

// Readers and the website fetch the same few pictures; rendering one costs a sharp pass.
const cache = new Map<string, Buffer>();
const CACHE_ENTRIES = 32;

/**
 * The `n`-th picture (1-based) of a publication published on the feed channel `slug`, as the JPEG
 * the feed announced; null (a 404) for anything else: another channel's publication, one not
 * published, a photo whose right no longer allows external use.
 */
export async function publicFeedImage(db: DB, slug: string, publicationId: number, n: number): Promise<Buffer | null> {
  if (!Number.isSafeInteger(publicationId) || publicationId < 1 || !Number.isSafeInteger(n) || n < 1 || n > 10) return null;
  const channel = await feedChannelBySlug(db, slug);
  if (!channel) return null;
  const p = await db
    .selectFrom("publication as p")
    .innerJoin("publication_photo as pp", "pp.publication_id", "p.id")
    .select(["p.contribution_id", "pp.photo_id", "pp.bytes"])
    .where("p.id", "=", publicationId)
    .where("p.channel_id", "=", channel.id)
    .where("p.state", "=", "published")
    .where("pp.position", "=", n - 1)
    .executeTakeFirst();
  if (!p || !(await usablePhotoIds(db, p.contribution_id)).has(p.photo_id)) return null;
  const key = `${publicationId}-${n}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const rendered = (await renderPublicationPhotos(db, publicationId, channel, p.photo_id))[0];
  if (!rendered) return null;
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, rendered.crop.data);
  return rendered.crop.data;
}
