import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../../db/migrations/index";
import { createContribution } from "~/contributions/contributions.server";
import { db } from "~/db.server";
import { env } from "~/env.server";
import * as photoRoute from "~/routes/photos.$id.$rendition";
import { context, get, richDoc, run, signedIn } from "../../tests/factories";
import { SAMPLE_PHOTOS } from "../../tests/fixtures/photos";
import { ingestPhotos } from "./photos.server";
import { RENDITION_KINDS, UPLOAD_KINDS } from "./renditions";
import { storage, tmpDir } from "./storage.server";
import { sweepOrphanFiles } from "./sweeper.server";

let author: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
  author = await signedIn("agent");
});

/** A temp upload of `bytes` (or a sample photo), as the request parser leaves it. */
function upload(source: string | Buffer) {
  const file = path.join(tmpDir(), `upload-${randomBytes(8).toString("hex")}`);
  if (typeof source === "string") fs.copyFileSync(path.join(SAMPLE_PHOTOS, source), file);
  else fs.writeFileSync(file, source);
  return { path: file, size: fs.statSync(file).size };
}

/** A draft of the author's with these photos; returns the photo ids in order. */
async function draftWith(...sources: (string | Buffer)[]): Promise<number[]> {
  const processed = await ingestPhotos(db(), sources.map(upload));
  const id = await createContribution(
    db(),
    author,
    { title: "Photos", body: richDoc("Texte."), tags: [], visibilityWish: "department", proposeExternal: false },
    processed,
  );
  const rows = await db().selectFrom("photo").select("id").where("contribution_id", "=", id).orderBy("position").execute();
  return rows.map((r) => r.id);
}

const renditionRows = (photoId: number) =>
  db().selectFrom("photo_rendition").selectAll().where("photo_id", "=", photoId).orderBy("kind").execute();

async function fetchKind(photoId: number, kind: string, cookie = author.cookie) {
  return (await run(() => photoRoute.loader({ request: get(`/photos/${photoId}/${kind}`, cookie), params: { id: String(photoId), rendition: kind }, context }))) as Response;
}

const stored = (key: string) => fs.readFileSync(path.join(env().UPLOADS_DIR, key));

describe("renditions are rows", () => {
  it("an upload stores one row per rendition made at upload, which says what its file is", async () => {
    const [photoId] = await draftWith("gps-DSCN0010.jpg");
    const rows = await renditionRows(photoId);
    expect(rows.map((r) => r.kind)).toEqual([...UPLOAD_KINDS].sort());
    for (const row of rows) {
      const file = stored(row.file_key);
      const meta = await sharp(file).metadata();
      expect(row).toMatchObject({ width: meta.width, height: meta.height, bytes: file.length });
      const spec = RENDITION_KINDS[row.kind as keyof typeof RENDITION_KINDS];
      expect(spec.fit === "inside" && Math.max(row.width, row.height)).toBe(spec.fit === "inside" && Math.min(spec.size, 2560, Math.max(meta.width, meta.height)));
    }
    // The photo's focal point starts at the centre.
    expect(await db().selectFrom("photo").select(["focus_x", "focus_y"]).where("id", "=", photoId).executeTakeFirstOrThrow()).toEqual({ focus_x: 0.5, focus_y: 0.5 });
  });

  it("the photo route serves a kind by its name, the bytes its row points at", async () => {
    const [photoId] = await draftWith("Canon_40D.jpg");
    for (const row of await renditionRows(photoId)) {
      const response = await fetchKind(photoId, row.kind);
      expect(response.status, row.kind).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(stored(row.file_key))).toBe(true);
      expect(response.headers.get("Cache-Control")).toContain("immutable");
    }
  });

  it("an unknown kind, or a photo one may not see, answers 404", async () => {
    const [photoId] = await draftWith("xmp-no_exif.jpg");
    for (const name of ["poster", "constructor", "__proto__", "Display", "thumb.webp", "", "..%2Fmaster"]) {
      expect((await fetchKind(photoId, name)).status, name).toBe(404);
    }
    // Someone else's draft: even a kind made on demand is neither made nor served.
    const stranger = await signedIn("agent");
    expect((await fetchKind(photoId, "square", stranger.cookie)).status).toBe(404);
    expect((await renditionRows(photoId)).map((r) => r.kind)).toEqual(["display", "thumb"]);
  });

  it("a crop is made from the master on first demand, once, around the focal point", async () => {
    // Left half black, right half white: where the crop is cut shows in its pixels.
    const halves = await sharp({ create: { width: 1600, height: 800, channels: 3, background: "#000" } })
      .composite([{ input: { create: { width: 800, height: 800, channels: 3, background: "#fff" } }, left: 800, top: 0 }])
      .png()
      .toBuffer();
    const [left, right] = await draftWith(halves, halves);
    await db().updateTable("photo").set({ focus_x: 0 }).where("id", "=", left).execute();
    await db().updateTable("photo").set({ focus_x: 1 }).where("id", "=", right).execute();

    const first = await fetchKind(left, "square");
    expect(first.status).toBe(200);
    // It follows the focal point, which may move: revalidated, not cached for a year.
    expect(first.headers.get("Cache-Control")).toBe("private, no-cache");
    const bytes = Buffer.from(await first.arrayBuffer());
    const [row] = (await renditionRows(left)).filter((r) => r.kind === "square");
    expect(row).toMatchObject({ width: 800, height: 800, bytes: bytes.length }); // 1:1 of an 800 px high master
    expect(bytes.equals(stored(row.file_key))).toBe(true);
    const mean = async (data: Buffer) => (await sharp(data).stats()).channels[0].mean;
    expect(await mean(bytes)).toBeLessThan(10); // the black half

    const again = await fetchKind(left, "square");
    expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await renditionRows(left)).filter((r) => r.kind === "square")).toHaveLength(1);

    const wide = await fetchKind(right, "wide");
    expect(await mean(Buffer.from(await wide.arrayBuffer()))).toBeGreaterThan(120); // mostly the white half
    const wideRow = (await renditionRows(right)).find((r) => r.kind === "wide")!;
    expect(wideRow.width / wideRow.height).toBeCloseTo(16 / 9, 1);
    expect((await fetchKind(right, "square")).status).toBe(200);
    expect(await mean(Buffer.from(await (await fetchKind(right, "square")).arrayBuffer()))).toBeGreaterThan(245);
  });

  it("the sweeper keeps the files rendition rows point at, crops made on demand included, and removes the others", async () => {
    const [photoId] = await draftWith("orientation-landscape_6.jpg");
    expect((await fetchKind(photoId, "portrait")).status).toBe(200);
    const keys = (await renditionRows(photoId)).map((r) => r.file_key);
    expect(keys).toHaveLength(3);
    const orphan = (await ingestPhotos(db(), [upload("tests-45-gps_ifd.jpg")]))[0];
    const orphanKeys = [orphan.masterKey, ...orphan.renditions.map((r) => r.key)];
    const old = new Date(Date.now() - 48 * 3600_000);
    for (const key of [...keys, ...orphanKeys]) fs.utimesSync(path.join(env().UPLOADS_DIR, key), old, old);

    const { removed } = await sweepOrphanFiles(db(), storage(), { graceMs: 24 * 3600_000 });

    expect(removed.sort()).toEqual([...orphanKeys].sort());
    for (const key of keys) expect(await storage().exists(key)).toBe(true);
    for (const key of orphanKeys) expect(await storage().exists(key)).toBe(false);
  });

  it("migration 08 moves the old display and thumbnail columns into rows, sized as they were made", async () => {
    const [photoId] = await draftWith("mobile-jolla.jpg");
    const before = await renditionRows(photoId);
    const migration = migrations["2026_11_23_08_photo_renditions"];
    await migration.down!(db());
    try {
      const old = (await db().selectFrom("photo").selectAll().where("id", "=", photoId).executeTakeFirstOrThrow()) as Record<string, unknown>;
      expect(old.display_key).toBe(before.find((r) => r.kind === "display")!.file_key);
      expect(old.thumb_key).toBe(before.find((r) => r.kind === "thumb")!.file_key);
    } finally {
      await migration.up(db());
    }
    const after = await renditionRows(photoId);
    expect(after.map((r) => ({ kind: r.kind, file_key: r.file_key, bytes: r.bytes }))).toEqual(before.map((r) => ({ kind: r.kind, file_key: r.file_key, bytes: null })));
    for (const [i, row] of after.entries()) {
      expect(Math.abs(row.width - before[i].width)).toBeLessThanOrEqual(1);
      expect(Math.abs(row.height - before[i].height)).toBeLessThanOrEqual(1);
    }
  });
});
