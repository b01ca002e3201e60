import type { LoaderFunctionArgs } from "@remix-run/node";
import { db } from "~/db.server";
import { publicFeedImage } from "~/publishing/public-feed.server";

/** A picture of a feed item, public: /feeds/<slug>/<publicationId>-<n>.jpeg; 404 for anything not published on that feed. */
export async function loader({ params }: LoaderFunctionArgs) {
  const match = /^(\d{1,15})-(\d{1,2})\.jpeg$/.exec(params.image ?? "");
  const image = match ? await publicFeedImage(db(), params.slug ?? "", Number(match[1]), Number(match[2])) : null;
  if (!image) throw new Response("Not Found", { status: 404 });
  return new Response(new Uint8Array(image), {
    headers: { "Content-Type": "image/jpeg", "Content-Length": String(image.length), "Cache-Control": "public, max-age=86400" },
  });
}
