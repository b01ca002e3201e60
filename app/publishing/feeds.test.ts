import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseFeed } from "feedsmith";
import { Window } from "happy-dom";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { atomFeed, feedUrls, jsonFeed, rssFeed, type FeedChannel, type FeedItem } from "./feeds.server";

const channel: FeedChannel = {
  title: "Ville de Exemple — actualités",
  slug: "site-web",
  siteUrl: "https://intranet.example.org",
  description: "Les nouvelles des services",
  updated: new Date("2026-11-01T08:00:00Z"),
};

const withPhotos: FeedItem = {
  id: "urn:uuid:6f1f7d58-0c1f-4a43-9a55-7b3e0d1c2a01",
  title: "Jardins & « potagers » <partagés> ]]> au parc",
  url: "https://intranet.example.org/publications/42?source=flux&format=web",
  published: new Date("2026-11-03T17:30:00Z"),
  updated: new Date("2026-11-04T09:15:00Z"),
  contentHtml: '<p>Les agents des espaces verts ont planté <strong>30 arbres</strong>. <a href="https://example.org/plan?a=1&amp;b=2">Le plan</a>.</p>',
  summary: "30 arbres plantés : « a < b » & c",
  author: "Léa N'Diaye & co",
  images: [
    {
      url: "https://intranet.example.org/feeds/site-web/images/101-4x5.webp",
      width: 1080,
      height: 1350,
      type: "image/webp",
      bytes: 181_234,
      alt: 'Deux agentes plantent un "chêne" & un <érable>',
    },
    {
      url: "https://intranet.example.org/feeds/site-web/images/102-4x5.jpeg",
      width: 1080,
      height: 1350,
      type: "image/jpeg",
      bytes: 240_001,
      alt: "Le parc vu du ciel",
    },
  ],
};

const withoutPhotos: FeedItem = {
  id: "urn:uuid:0d8c3c0e-51b9-4a1e-8d55-2c7f0e1b9a02",
  title: "Fermeture de la médiathèque\u0007 le 11 novembre",
  url: "https://intranet.example.org/publications/43",
  published: new Date("2026-11-02T17:30:00Z"),
  updated: new Date("2026-11-02T17:30:00Z"),
  contentHtml: "<p>Réouverture le 12.</p>",
  summary: "Réouverture le 12.",
  author: null,
  images: [],
};

const erased: FeedItem = { ...withoutPhotos, id: "urn:uuid:0d8c3c0e-51b9-4a1e-8d55-2c7f0e1b9a03", author: "Ancien agent" };

const items = [withPhotos, withoutPhotos, erased];

const window = new Window();
const htmlDocument = (html: string) => new window.DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
/** What a reader shows for an HTML-typed text. */
const htmlText = (html: string) => htmlDocument(html).body.textContent;
const altTexts = (html: string) => [...htmlDocument(html).querySelectorAll("img")].map((img) => [img.getAttribute("src"), img.getAttribute("alt")]);

/** Every URL-looking attribute or element in an XML feed is absolute https. */
function expectAbsoluteUrls(xml: string) {
  const values = [
    ...[...xml.matchAll(/\s(?:href|url|src)="([^"]*)"/g)].map((m) => m[1]),
    ...[...xml.matchAll(/<(?:link|id|uri|guid|atom:link)>([^<]*)</g)].map((m) => m[1]),
  ];
  expect(values.length).toBeGreaterThan(5);
  for (const value of values) {
    const url = value.replace(/&amp;/g, "&");
    if (url.startsWith("urn:uuid:")) continue;
    expect(url, url).toMatch(/^https:\/\/[a-z.]+\//);
  }
}

// The RNG form of RFC 4287's schema; xmllint (Debian's libxml2-utils) validates against it offline.
const ATOM_SCHEMA = path.resolve("tests/fixtures/feeds/atom.rng");
const xmllintMissing = spawnSync("xmllint", ["--version"]).error !== undefined;
if (xmllintMissing && process.env.CI === "true") {
  throw new Error("xmllint introuvable (paquet Debian libxml2-utils) : le flux Atom ne peut pas être validé en CI.");
}
if (xmllintMissing) {
  console.warn("\n!!! xmllint (libxml2-utils) absent : la validation du flux Atom contre le schéma de la RFC 4287 est SAUTÉE. apt-get install libxml2-utils\n");
}
const work = mkdtempSync(path.join(tmpdir(), "relais-feeds-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function validateAtom(xml: string): { ok: boolean; output: string } {
  const file = path.join(work, `feed-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  const result = spawnSync("xmllint", ["--noout", "--relaxng", ATOM_SCHEMA, file], { encoding: "utf8" });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

describe("feed addresses", () => {
  it("are absolute, under /feeds/<slug>", () => {
    expect(feedUrls(channel)).toEqual({
      rss: "https://intranet.example.org/feeds/site-web.rss",
      atom: "https://intranet.example.org/feeds/site-web.atom",
      json: "https://intranet.example.org/feeds/site-web.json",
    });
  });
});

describe("RSS 2.0", () => {
  it("parses with a standard parser: items, dates, authors, the first image as enclosure, every image with its alt text in the content", () => {
    const xml = rssFeed(channel, items);
    const { format, feed } = parseFeed(xml);
    expect(format).toBe("rss");
    if (format !== "rss") return;
    expect(feed.title).toBe(channel.title);
    expect(feed.link).toBe("https://intranet.example.org/");
    expect(feed.atom?.links?.[0]).toMatchObject({ href: "https://intranet.example.org/feeds/site-web.rss", rel: "self" });
    expect(feed.items).toHaveLength(3);

    const [first, second, third] = feed.items!;
    expect(first.title).toBe(withPhotos.title);
    expect(first.link).toBe(withPhotos.url);
    expect(first.guid).toEqual({ value: withPhotos.id, isPermaLink: false });
    expect(new Date(first.pubDate!).toISOString()).toBe(withPhotos.published.toISOString());
    expect(htmlText(first.description!)).toBe(withPhotos.summary);
    expect(first.dc?.creators).toEqual([withPhotos.author]);
    expect(first.enclosures).toEqual([{ url: withPhotos.images[0].url, type: "image/webp", length: 181_234 }]);
    expect(altTexts(first.content!.encoded!)).toEqual(withPhotos.images.map((image) => [image.url, image.alt]));
    expect(first.content!.encoded).toContain("<strong>30 arbres</strong>");

    // A control character would make the whole document unreadable: it is dropped.
    expect(second.title).toBe("Fermeture de la médiathèque le 11 novembre");
    expect(second.dc?.creators).toBeUndefined();
    expect(second.enclosures).toBeUndefined();
    expect(third.dc?.creators).toEqual(["Ancien agent"]);
    expectAbsoluteUrls(xml);
  });
});

describe("Atom 1.0", () => {
  it.skipIf(xmllintMissing)("validates against the RFC 4287 schema; an entry without its id does not", () => {
    const xml = atomFeed(channel, items);
    const result = validateAtom(xml);
    expect(result.output).toContain("validates");
    expect(result.ok).toBe(true);
    // The validator does refuse a broken feed.
    const broken = validateAtom(xml.replace(/<id>urn:uuid:[^<]*<\/id>/, ""));
    expect(broken.ok).toBe(false);
    expect(broken.output).toContain("Relax-NG validity error");
    // Also an empty feed.
    expect(validateAtom(atomFeed(channel, [])).ok).toBe(true);
  });

  it("parses with a standard parser: entries with their ids, dates, authors, HTML, and images with alt text", () => {
    const xml = atomFeed(channel, items);
    const { format, feed } = parseFeed(xml);
    expect(format).toBe("atom");
    if (format !== "atom") return;
    expect(feed.id).toBe("https://intranet.example.org/feeds/site-web.atom");
    expect(feed.title?.value).toBe(channel.title);
    // RFC 4287's rule that its schema cannot express: an author on the feed, since entries may have none.
    expect(feed.authors).toEqual([{ name: channel.title, uri: "https://intranet.example.org/" }]);
    expect(feed.updated).toBe(withPhotos.updated.toISOString());
    expect(feed.links).toContainEqual({ href: "https://intranet.example.org/feeds/site-web.atom", rel: "self" });
    expect(feed.entries).toHaveLength(3);

    const [first, second, third] = feed.entries!;
    expect(first.id).toBe(withPhotos.id);
    expect(first.title?.type).toBe("html");
    expect(htmlText(first.title!.value!)).toBe(withPhotos.title);
    expect(htmlText(first.summary!.value!)).toBe(withPhotos.summary);
    expect(first.published).toBe(withPhotos.published.toISOString());
    expect(first.updated).toBe(withPhotos.updated.toISOString());
    expect(first.authors).toEqual([{ name: withPhotos.author }]);
    expect(first.links).toEqual([
      { href: withPhotos.url },
      { href: withPhotos.images[0].url, rel: "enclosure", type: "image/webp", length: 181_234, title: withPhotos.images[0].alt },
    ]);
    expect(altTexts(first.content!.value!)).toEqual(withPhotos.images.map((image) => [image.url, image.alt]));
    expect(second.authors).toBeUndefined();
    expect(third.authors).toEqual([{ name: "Ancien agent" }]);
    expectAbsoluteUrls(xml);
  });
});

// From https://www.jsonfeed.org/version/1.1/: required fields and their types.
const author = z.object({ name: z.string().optional(), url: z.url().optional(), avatar: z.url().optional() }).refine((a) => Object.keys(a).length > 0);
const rfc3339 = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
const jsonFeedSchema = z.object({
  version: z.literal("https://jsonfeed.org/version/1.1"),
  title: z.string(),
  home_page_url: z.url().optional(),
  feed_url: z.url().optional(),
  description: z.string().optional(),
  icon: z.url().optional(),
  favicon: z.url().optional(),
  authors: z.array(author).optional(),
  language: z.string().optional(),
  expired: z.boolean().optional(),
  items: z.array(
    z
      .object({
        id: z.string(),
        url: z.url().optional(),
        external_url: z.url().optional(),
        title: z.string().optional(),
        content_html: z.string().optional(),
        content_text: z.string().optional(),
        summary: z.string().optional(),
        image: z.url().optional(),
        banner_image: z.url().optional(),
        date_published: rfc3339.optional(),
        date_modified: rfc3339.optional(),
        authors: z.array(author).optional(),
        tags: z.array(z.string()).optional(),
        language: z.string().optional(),
        attachments: z
          .array(
            z.object({
              url: z.url(),
              mime_type: z.string(),
              title: z.string().optional(),
              size_in_bytes: z.number().optional(),
              duration_in_seconds: z.number().optional(),
            }),
          )
          .optional(),
      })
      // "content_html and content_text are each optional strings — but one or both must be present."
      .refine((item) => item.content_html !== undefined || item.content_text !== undefined),
  ),
});

describe("JSON Feed 1.1", () => {
  it("follows the 1.1 spec: authors, language, attachments with alt text, absolute URLs", () => {
    const text = jsonFeed(channel, items);
    const data = jsonFeedSchema.parse(JSON.parse(text));
    expect(data.feed_url).toBe("https://intranet.example.org/feeds/site-web.json");
    expect(data.home_page_url).toBe("https://intranet.example.org/");
    expect(data.language).toBe("fr");
    expect(data.authors).toEqual([{ name: channel.title, url: "https://intranet.example.org/" }]);
    // 1.0's singular author is not written.
    expect(text).not.toContain('"author"');

    const [first, second, third] = data.items;
    expect(first).toMatchObject({
      id: withPhotos.id,
      url: withPhotos.url,
      title: withPhotos.title,
      summary: withPhotos.summary,
      image: withPhotos.images[0].url,
      date_published: "2026-11-03T17:30:00.000Z",
      date_modified: "2026-11-04T09:15:00.000Z",
      authors: [{ name: withPhotos.author }],
      language: "fr",
      attachments: [
        { url: withPhotos.images[0].url, mime_type: "image/webp", title: withPhotos.images[0].alt, size_in_bytes: 181_234 },
        { url: withPhotos.images[1].url, mime_type: "image/jpeg", title: withPhotos.images[1].alt, size_in_bytes: 240_001 },
      ],
    });
    expect(altTexts(first.content_html!)).toEqual(withPhotos.images.map((image) => [image.url, image.alt]));
    expect(second.authors).toBeUndefined();
    expect(second.attachments).toBeUndefined();
    expect(third.authors).toEqual([{ name: "Ancien agent" }]);

    const { format } = parseFeed(text);
    expect(format).toBe("json");
  });

  it("the schema catches what it is for", () => {
    const good = JSON.parse(jsonFeed(channel, items));
    expect(jsonFeedSchema.safeParse({ ...good, version: "https://jsonfeed.org/version/1" }).success).toBe(false);
    expect(jsonFeedSchema.safeParse({ ...good, items: [{ ...good.items[0], content_html: undefined }] }).success).toBe(false);
    expect(jsonFeedSchema.safeParse({ ...good, items: [{ ...good.items[0], attachments: [{ url: "/relative.webp", mime_type: "image/webp" }] }] }).success).toBe(false);
  });
});

describe("refused inputs", () => {
  it("relative or non-web URLs, ids that are not URIs, an image URL whose extension is not its type", () => {
    for (const make of [rssFeed, atomFeed, jsonFeed]) {
      expect(() => make({ ...channel, siteUrl: "/intranet" }, items)).toThrow(RangeError);
      expect(() => make(channel, [{ ...withoutPhotos, url: "/publications/43" }])).toThrow(RangeError);
      expect(() => make(channel, [{ ...withoutPhotos, url: "javascript:alert(1)" }])).toThrow(RangeError);
      expect(() => make(channel, [{ ...withoutPhotos, id: "43" }])).toThrow(RangeError);
      const image = withPhotos.images[0];
      expect(() => make(channel, [{ ...withPhotos, images: [{ ...image, url: "/feeds/site-web/images/101-4x5.webp" }] }])).toThrow(RangeError);
      expect(() => make(channel, [{ ...withPhotos, images: [{ ...image, type: "image/jpeg", url: image.url.replace(".webp", ".jpg") }] }])).toThrow(
        /\.jpeg/,
      );
      expect(() => make(channel, [{ ...withoutPhotos, updated: new Date(Number.NaN) }])).toThrow(RangeError);
    }
  });
});
