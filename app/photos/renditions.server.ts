import sharp from "sharp";
import type { DB } from "~/db.server";
import { renderRendition } from "./pipeline.server";
import { RENDITION_KINDS, type RenditionKind } from "./renditions";
import type { Storage } from "./storage.server";
import { lockFiles } from "./sweeper.server";

/** What making a rendition needs of its photo. */
export interface RenditionSource {
  id: number;
  master_key: string;
  width: number;
  height: number;
  focus_x: number;
  focus_y: number;
}

/**
 * The file key of a photo's rendition of this kind: its row's, or, for a kind made on demand
 * that was never asked for, made now from the master (file first, then its row). Null when there
 * is none to be had (an upload kind missing, or the photo deleted meanwhile).
 */
export async function renditionKey(db: DB, store: Storage, photo: RenditionSource, kind: RenditionKind): Promise<string | null> {
  const row = await db.selectFrom("photo_rendition").select("file_key").where("photo_id", "=", photo.id).where("kind", "=", kind).executeTakeFirst();
  if (row) return row.file_key;
  if (RENDITION_KINDS[kind].made !== "demand") return null;
  return makeRendition(db, store, photo, kind);
}

async function makeRendition(db: DB, store: Storage, photo: RenditionSource, kind: RenditionKind): Promise<string | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of store.createReadStream(photo.master_key)) chunks.push(chunk as Buffer);
  const master = Buffer.concat(chunks);
  const made = await renderRendition(() => sharp(master), photo.width, photo.height, RENDITION_KINDS[kind], { x: photo.focus_x, y: photo.focus_y });
  await store.putBuffer(made.key, made.data);
  return db.transaction().execute(async (trx) => {
    // Shared files: a deletion of the same bytes elsewhere may have removed ours since it was
    // written; under the lock none can, so write it again if so (the row never points at nothing).
    await lockFiles(trx, [made.key], "shared");
    if (!(await store.exists(made.key))) await store.putBuffer(made.key, made.data);
    const photoLeft = await trx.selectFrom("photo").select("id").where("id", "=", photo.id).forShare().executeTakeFirst();
    if (!photoLeft) return null; // deleted meanwhile: the file is the sweeper's
    // Two first requests at once: the first row stays, and both answer with it.
    await trx
      .insertInto("photo_rendition")
      .values({ photo_id: photo.id, kind, width: made.width, height: made.height, bytes: made.data.length, file_key: made.key })
      .onConflict((oc) => oc.columns(["photo_id", "kind"]).doNothing())
      .execute();
    const row = await trx.selectFrom("photo_rendition").select("file_key").where("photo_id", "=", photo.id).where("kind", "=", kind).executeTakeFirstOrThrow();
    return row.file_key;
  });
}
