import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { parseFeed } from "feedsmith";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { createPublication } from "~/publishing/queue.server";
import * as feedRoute from "~/routes/feeds.$file";
import * as imageRoute from "~/routes/feeds.$slug.$image";
import { context, get, run } from "../../factories";
import { channel, comms, publishable, runDeliveryNow } from "./fixtures";

type Actor = Awaited<ReturnType<typeof comms>>["actor"];

async function published(actor: Actor, channelId: number, title: string) {
  const c = await publishable({ title });
  const p = await createPublication(db(), actor, { contributionId: c.id, channelId });
  await db().updateTable("publication").set({ scheduled_at: sql`now() - interval '1 second' * ${p.id}` }).where("id", "=", p.id).execute();
  await runDeliveryNow(p.id);
  return { ...p, contribution: c };
}

async function fetchFeed(path: string): Promise<Response> {
  return (await run(() => feedRoute.loader({ request: get(path), params: { file: path.split("/").pop()! }, context }))) as Response;
}

async function fetchImage(slug: string, file: string): Promise<Response> {
  return (await run(() => imageRoute.loader({ request: get(`/feeds/${slug}/${file}`), params: { slug, image: file }, context }))) as Response;
}

describe("public feeds", () => {
  it("list the channel's published items with absolute URLs and images that answer, without signing in", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed", slug: "site-web", name: "Site web" });
    const other = await channel(actor, { kind: "feed", slug: "autre-flux" });
    const item = await published(actor, ch.id, "Plantation au parc");
    const elsewhere = await published(actor, other.id, "Ailleurs");
    // Scheduled but not published yet: not in the feed.
    const later = await publishable({ title: "Pas encore" });
    await createPublication(db(), actor, { contributionId: later.id, channelId: ch.id });

    const rss = await fetchFeed("/feeds/site-web.rss");
    expect(rss.status).toBe(200);
    expect(rss.headers.get("content-type")).toBe("application/rss+xml; charset=utf-8");
    const parsed = parseFeed(await rss.text());
    expect(parsed.format).toBe("rss");
    const items = (parsed.feed as { items: { title?: string; enclosures?: { url: string }[] }[] }).items;
    expect(items.map((i) => i.title)).toEqual(["Plantation au parc"]);
    const imageUrl = items[0].enclosures![0].url;
    expect(imageUrl).toBe(`https://intranet.example.org/feeds/site-web/${item.id}-1.jpeg`);

    const json = await fetchFeed("/feeds/site-web.json");
    const feed = JSON.parse(await json.text());
    expect(feed.version).toBe("https://jsonfeed.org/version/1.1");
    expect(feed.items[0].attachments[0]).toMatchObject({ url: imageUrl, mime_type: "image/jpeg", title: "Des enfants dansent sur la place" });
    expect(feed.items[0].authors[0].name).toBe(item.contribution.author.name);
    expect(parseFeed(JSON.stringify(feed)).format).toBe("json");

    const atom = await (await fetchFeed("/feeds/site-web.atom")).text();
    expect(parseFeed(atom).format).toBe("atom");
    const xmllint = spawnSync("xmllint", ["--version"]).error === undefined;
    if (xmllint) {
      const file = path.join(mkdtempSync(path.join(tmpdir(), "atom-")), "feed.xml");
      writeFileSync(file, atom);
      const result = spawnSync("xmllint", ["--noout", "--relaxng", path.resolve("tests/fixtures/feeds/atom.rng"), file], { encoding: "utf8" });
      expect(result.stderr).toContain("validates");
    }

    const image = await fetchImage("site-web", `${item.id}-1.jpeg`);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/jpeg");
    const bytes = Buffer.from(await image.arrayBuffer());
    expect(bytes.length).toBe(feed.items[0].attachments[0].size_in_bytes);
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe("jpeg");
    expect(meta.exif).toBeUndefined();

    // Another feed's publication, a wrong number, an unknown slug or file: 404.
    expect((await fetchImage("site-web", `${elsewhere.id}-1.jpeg`)).status).toBe(404);
    expect((await fetchImage("site-web", `${item.id}-2.jpeg`)).status).toBe(404);
    expect((await fetchImage("autre-flux", `${item.id}-1.jpeg`)).status).toBe(404);
    expect((await fetchImage("site-web", `${item.id}-1.png`)).status).toBe(404);
    expect((await fetchFeed("/feeds/inconnu.rss")).status).toBe(404);
    expect((await fetchFeed("/feeds/site-web.xml")).status).toBe(404);
    expect((await fetchFeed("/feeds/..%2Fsite-web.rss")).status).toBe(404);
  });

  it("stop serving a photo whose image right was withdrawn after publication", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed", slug: "retrait" });
    const item = await published(actor, ch.id, "Portraits");
    expect((await fetchImage("retrait", `${item.id}-1.jpeg`)).status).toBe(200);
    await db().updateTable("photo").set({ rights_status: "authorised", rights_scope: "external", rights_withdrawn_at: new Date() }).where("id", "=", item.contribution.photoIds[0]).execute();
    expect((await fetchImage("retrait", `${item.id}-1.jpeg`)).status).toBe(404);
    const feed = JSON.parse(await (await fetchFeed("/feeds/retrait.json")).text());
    expect(feed.items[0].attachments).toBeUndefined();
  });

  it("name nobody on an item whose contributor opted out of being named", async () => {
    const { actor } = await comms();
    const ch = await channel(actor, { kind: "feed", slug: "anonyme" });
    const c = await publishable({ title: "Sans nom" });
    await db().updateTable("app_user").set({ credit_opt_out: true }).where("id", "=", c.author.id).execute();
    const p = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id });
    await db().updateTable("publication").set({ scheduled_at: sql`now() - interval '1 minute'` }).where("id", "=", p.id).execute();
    await runDeliveryNow(p.id);
    const feed = JSON.parse(await (await fetchFeed("/feeds/anonyme.json")).text());
    expect(feed.items[0].authors).toBeUndefined();
    expect(JSON.stringify(feed)).not.toContain(c.author.name);
  });
});
