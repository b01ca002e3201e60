import { createReadableStreamFromReadable } from "@remix-run/node";
import { Readable } from "node:stream";
import type { SessionUser } from "~/auth/session.server";
import { canView } from "~/contributions/visibility.server";
import type { DB } from "~/db.server";
import { storage } from "./storage.server";

export const RENDITION_NAMES = ["thumb", "display", "master"] as const;
export type RenditionName = (typeof RENDITION_NAMES)[number];

/**
 * The bytes of one rendition, only for someone who may see the photo's contribution (404
 * otherwise, so that ids reveal nothing). The URL of a photo never changes content: it may be
 * cached for a year, privately (it is behind a sign-in). X-Content-Type-Options comes with every
 * response from the server (app/server/security.server.ts); set here too, it was sent twice.
 */
export async function servePhoto(db: DB, viewer: SessionUser, photoId: number, rendition: RenditionName, request: Request) {
  const row = await db
    .selectFrom("photo as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .select(["p.master_key", "p.display_key", "p.thumb_key", "c.author_id", "c.department_id", "c.status", "c.visibility"])
    .where("p.id", "=", photoId)
    .executeTakeFirst();
  if (!row || !canView(viewer, row)) throw new Response("Not Found", { status: 404 });
  const key = rendition === "thumb" ? row.thumb_key : rendition === "display" ? row.display_key : row.master_key;
  const etag = `"${key.slice(-64 - 5, -5)}"`;
  const headers = new Headers({
    "Content-Type": "image/webp",
    "Cache-Control": "private, max-age=31536000, immutable",
    "Content-Disposition": "inline",
    ETag: etag,
  });
  if (request.headers.get("If-None-Match") === etag) return new Response(null, { status: 304, headers });
  const stat = await storage().stat(key);
  if (!stat) throw new Response("Not Found", { status: 404 });
  headers.set("Content-Length", String(stat.size));
  const stream = storage().createReadStream(key) as Readable;
  return new Response(createReadableStreamFromReadable(stream), { status: 200, headers });
}
