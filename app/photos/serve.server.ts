import { createReadableStreamFromReadable } from "@remix-run/node";
import { Readable } from "node:stream";
import type { Actor } from "~/auth/actor";
import { canView } from "~/contributions/visibility.server";
import type { DB } from "~/db.server";
import { keptUntilChange } from "~/utils/kept.server";
import { isRenditionKind, RENDITION_KINDS } from "./renditions";
import { renditionKey } from "./renditions.server";
import { storage } from "./storage.server";

/** What /photos/:id/:name serves: the master, or a rendition kind (app/photos/renditions.ts). */
export function isServedName(name: string): boolean {
  return name === "master" || isRenditionKind(name);
}

/**
 * A photo's files and what decides who may see it (its contribution's author, department, status
 * and visibility), kept until a write of either commits (app/utils/kept.server.ts): a feed page
 * asks for twenty of them at once.
 */
const keptPhotos = keptUntilChange(5_000, (db: DB, photoId: number) =>
  db
    .selectFrom("photo as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .select(["p.id", "p.master_key", "p.width", "p.height", "p.focus_x", "p.focus_y", "c.author_id", "c.department_id", "c.status", "c.visibility"])
    .where("p.id", "=", photoId)
    .executeTakeFirst(),
);

/**
 * The bytes of one rendition, only for someone who may see the photo's contribution (404
 * otherwise, so that ids reveal nothing). The URL of a photo never changes content: it may be
 * cached for a year, privately (it is behind a sign-in). X-Content-Type-Options comes with every
 * response from the server (app/server/security.server.ts); set here too, it was sent twice.
 */
export async function servePhoto(db: DB, viewer: Actor, photoId: number, name: string, request: Request, version?: string | null) {
  if (!isServedName(name)) throw new Response("Not Found", { status: 404 });
  const row = await keptPhotos(version, String(photoId), db, photoId);
  if (!row || !canView(viewer, row)) throw new Response("Not Found", { status: 404 });
  const key = name === "master" ? row.master_key : isRenditionKind(name) ? await renditionKey(db, storage(), row, name) : null;
  if (!key) throw new Response("Not Found", { status: 404 });
  const etag = `"${key.slice(-64 - 5, -5)}"`;
  // A crop made on demand follows the focal point, which may move: checked again each time (its
  // ETag answers 304 while it is the same); the others never change under their URL.
  const moves = isRenditionKind(name) && RENDITION_KINDS[name].made === "demand";
  const headers = new Headers({
    "Content-Type": "image/webp",
    "Cache-Control": moves ? "private, no-cache" : "private, max-age=31536000, immutable",
    "Content-Disposition": "inline",
    ETag: etag,
  });
  if (request.headers.get("If-None-Match") === etag) return new Response(null, { status: 304, headers });
  const stat = await storage().stat(key);
  if (!stat) throw new Response("Not Found", { status: 404 });
  headers.set("Content-Length", String(stat.size));
  const stream = storage().createReadStream(key, { size: stat.size }) as Readable;
  return new Response(createReadableStreamFromReadable(stream), { status: 200, headers });
}
