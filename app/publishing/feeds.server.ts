// A feed channel's published items as RSS 2.0, Atom 1.0 (both with the `feed` package) and JSON
// Feed 1.1 (written here: `feed` only writes JSON Feed 1.0). Takes plain values: the queue decides
// which publications are items and hands over absolute URLs, since a reader has no base to
// resolve relative ones against.

import { Feed, type Item } from "feed";

export interface FeedImage {
  /** Absolute URL whose path ends in the extension of `type` (".webp" for image/webp), see checkImage. */
  url: string;
  width: number;
  height: number;
  /** image/jpeg, image/webp, image/png… */
  type: string;
  bytes: number;
  alt: string;
}

export interface FeedItem {
  /** A URI that never changes for this item: `urn:uuid:<uuid>`, or its permanent URL. */
  id: string;
  title: string;
  /** Absolute URL of the item's page. */
  url: string;
  published: Date;
  updated: Date;
  /** Sanitised HTML (the rich text's output: absolute links only); the images are added after it. */
  contentHtml: string;
  /** Plain text. */
  summary: string;
  /** Display name, "Ancien agent" for an erased account, null to name nobody. */
  author: string | null;
  images: FeedImage[];
}

export interface FeedChannel {
  title: string;
  slug: string;
  /** Absolute URL of the site, e.g. "https://intranet.example.org". */
  siteUrl: string;
  description?: string;
  /** BCP 47; the app speaks French first. */
  language?: string;
  /** When the feed last changed if it has no items (otherwise the latest item's update). */
  updated?: Date;
}

export const FEED_TYPES = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
  json: "application/feed+json; charset=utf-8",
} as const;

export type FeedFormat = keyof typeof FEED_TYPES;

/** The three addresses of a channel's feed (`/feeds/<slug>.rss`, `.atom`, `.json`). */
export function feedUrls(channel: Pick<FeedChannel, "siteUrl" | "slug">): Record<FeedFormat, string> {
  const at = (extension: FeedFormat) => new URL(`/feeds/${encodeURIComponent(channel.slug)}.${extension}`, absoluteUrl(channel.siteUrl, "siteUrl")).href;
  return { rss: at("rss"), atom: at("atom"), json: at("json") };
}

export function rssFeed(channel: FeedChannel, items: readonly FeedItem[]): string {
  const feed = newFeed(channel, items);
  for (const item of items.map(xmlSafeItem)) {
    const [first] = item.images;
    feed.addItem({
      ...common(item),
      // RSS titles are plain text; the description is HTML.
      title: item.title,
      description: escapeHtml(item.summary),
      // RSS allows one enclosure per item: the first image (the others are in the content).
      enclosure: first ? { url: first.url, type: first.type, length: first.bytes } : undefined,
      // <author> must be an e-mail address in RSS 2.0; dc:creator takes a name.
      extensions: item.author ? [{ name: "dc:creator", objects: { _text: item.author } }] : undefined,
    });
  }
  return feed.rss2();
}

export function atomFeed(channel: FeedChannel, items: readonly FeedItem[]): string {
  const feed = newFeed(channel, items);
  for (const item of items.map(xmlSafeItem)) {
    const [first] = item.images;
    feed.addItem({
      ...common(item),
      // `feed` marks Atom titles and summaries type="html": plain text must be escaped.
      title: escapeHtml(item.title),
      description: escapeHtml(item.summary),
      author: item.author ? [{ name: item.author }] : undefined,
      // The alt text as the link's title. `feed` escapes only the quotes of attribute values: the
      // rest is escaped here, or an alt text with "&" or "<" would break the XML.
      image: first ? { url: first.url, type: first.type, length: first.bytes, title: escapeXmlAttribute(first.alt) } : undefined,
    });
  }
  return feed.atom1();
}

/** JSON Feed 1.1 (https://jsonfeed.org/version/1.1): `authors`, `language`, `attachments`. */
export function jsonFeed(channel: FeedChannel, items: readonly FeedItem[]): string {
  const urls = feedUrls(channel);
  checkItems(items);
  const language = channel.language ?? "fr";
  const feed = {
    version: "https://jsonfeed.org/version/1.1",
    title: channel.title,
    home_page_url: absoluteUrl(channel.siteUrl, "siteUrl"),
    feed_url: urls.json,
    ...(channel.description ? { description: channel.description } : {}),
    language,
    authors: [{ name: channel.title, url: absoluteUrl(channel.siteUrl, "siteUrl") }],
    items: items.map((item) => ({
      id: item.id,
      url: item.url,
      title: item.title,
      content_html: contentWithImages(item),
      summary: item.summary,
      ...(item.images[0] ? { image: item.images[0].url } : {}),
      date_published: item.published.toISOString(),
      date_modified: item.updated.toISOString(),
      ...(item.author ? { authors: [{ name: item.author }] } : {}),
      language,
      ...(item.images.length > 0
        ? { attachments: item.images.map((image) => ({ url: image.url, mime_type: image.type, title: image.alt, size_in_bytes: image.bytes })) }
        : {}),
    })),
  };
  return JSON.stringify(feed, null, 2);
}

function newFeed(channel: FeedChannel, items: readonly FeedItem[]): Feed {
  const urls = feedUrls(channel);
  const siteUrl = absoluteUrl(channel.siteUrl, "siteUrl");
  checkItems(items);
  const latest = items.reduce<Date | undefined>((max, item) => (!max || item.updated > max ? item.updated : max), undefined);
  return new Feed({
    id: urls.atom,
    title: xmlSafe(channel.title),
    description: xmlSafe(channel.description ?? channel.title),
    link: siteUrl,
    language: channel.language ?? "fr",
    updated: latest ?? channel.updated ?? new Date(),
    generator: "Relais",
    feedLinks: { rss: urls.rss, atom: urls.atom, json: urls.json },
    // Atom wants an author on the feed unless every entry has one; an item may name nobody.
    author: { name: xmlSafe(channel.title), link: siteUrl },
  });
}

function common(item: FeedItem): Omit<Item, "title"> {
  return { id: item.id, link: item.url, date: item.updated, published: item.published, content: contentWithImages(item) };
}

/** The item's HTML followed by its images, each with its alt text, size and absolute URL. */
function contentWithImages(item: FeedItem): string {
  const figures = item.images.map(
    (image) =>
      `<figure><img src="${escapeHtml(image.url)}" alt="${escapeHtml(image.alt)}" width="${image.width}" height="${image.height}"></figure>`,
  );
  return item.contentHtml + figures.join("");
}

function checkItems(items: readonly FeedItem[]): void {
  for (const item of items) {
    if (!URL.canParse(item.id)) throw new RangeError(`feed item id must be a URI (urn:uuid:…): ${item.id}`);
    absoluteUrl(item.url, "item url");
    for (const date of [item.published, item.updated]) {
      if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new RangeError(`invalid date in feed item ${item.id}`);
    }
    for (const image of item.images) checkImage(image);
  }
}

/**
 * `feed` writes an Atom enclosure's type from the URL's extension ("image/" + extension), whatever
 * type it is given; so an image's URL must end in the extension of its type (".jpeg", not ".jpg",
 * for image/jpeg), or the Atom feed would announce a wrong type.
 */
function checkImage(image: FeedImage): void {
  const url = absoluteUrl(image.url, "image url");
  const extension = new URL(url).pathname.split(".").slice(-1)[0];
  if (!/^image\/[a-z0-9.+-]+$/.test(image.type) || `image/${extension}` !== image.type) {
    throw new RangeError(`image URL must end in .${image.type.replace(/^image\//, "")} for ${image.type}: ${image.url}`);
  }
  for (const value of [image.width, image.height, image.bytes]) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`invalid image size for ${image.url}`);
  }
}

function absoluteUrl(value: string, what: string): string {
  if (!URL.canParse(value)) throw new RangeError(`${what} must be an absolute URL: ${value}`);
  const url = new URL(value);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new RangeError(`${what} must be an http(s) URL: ${value}`);
  return url.href;
}

/** XML 1.0 refuses most control characters even escaped; a pasted one would break the whole feed. */
function xmlSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "");
}

function xmlSafeItem(item: FeedItem): FeedItem {
  return {
    ...item,
    title: xmlSafe(item.title),
    summary: xmlSafe(item.summary),
    contentHtml: xmlSafe(item.contentHtml),
    author: item.author === null ? null : xmlSafe(item.author),
    images: item.images.map((image) => ({ ...image, alt: xmlSafe(image.alt) })),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** For `feed`'s attribute values: it escapes the quotes itself (escaping them here would double them). */
function escapeXmlAttribute(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
}
