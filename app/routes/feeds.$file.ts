import type { LoaderFunctionArgs } from "@remix-run/node";
import { db } from "~/db.server";
import { publicFeed } from "~/publishing/public-feed.server";

/** A feed channel's published items, public: /feeds/<slug>.rss, .atom or .json (JSON Feed 1.1). */
export async function loader({ params }: LoaderFunctionArgs) {
  const match = /^([a-z0-9]+(?:-[a-z0-9]+)*)\.(rss|atom|json)$/.exec(params.file ?? "");
  const feed = match ? await publicFeed(db(), match[1], match[2] as "rss" | "atom" | "json") : null;
  if (!feed) throw new Response("Not Found", { status: 404 });
  return new Response(feed.body, {
    headers: { "Content-Type": feed.contentType, "Cache-Control": "public, max-age=300" },
  });
}
