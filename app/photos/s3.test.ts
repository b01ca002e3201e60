import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContribution } from "~/contributions/contributions.server";
import { db } from "~/db.server";
import { env, setDatabaseUrl } from "~/env.server";
import * as photoRoute from "~/routes/photos.$id.$rendition";
import { context, get, richDoc, run, signedIn } from "../../tests/factories";
import { SAMPLE_PHOTOS } from "../../tests/fixtures/photos";
import { startS3Standin, type S3Standin } from "../../tests/standins/s3";
import { ingestPhotos } from "./photos.server";
import { createS3Client, storage, tmpDir, type S3Settings } from "./storage.server";
import { sweepOrphanFiles } from "./sweeper.server";

// The whole photo path with STORAGE=s3: upload, serving behind the permission check, renditions
// made on demand, and the sweeper, against an S3-compatible server.

let s3: S3Standin;
let bucket: S3Settings;
let author: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
  s3 = await startS3Standin();
  bucket = await s3.newBucket();
  Object.assign(process.env, s3.envFor(bucket));
  setDatabaseUrl(process.env.DATABASE_URL!); // settings read again, now with STORAGE=s3
  author = await signedIn("agent");
});
afterAll(async () => {
  await s3?.close();
});

async function objectNames(): Promise<string[]> {
  const client = createS3Client(bucket);
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket.bucket }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

async function objectBytes(key: string): Promise<Buffer> {
  const object = await createS3Client(bucket).send(new GetObjectCommand({ Bucket: bucket.bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

function upload(name: string) {
  const file = path.join(tmpDir(), `upload-${randomBytes(8).toString("hex")}`);
  fs.copyFileSync(path.join(SAMPLE_PHOTOS, name), file);
  return { path: file, size: fs.statSync(file).size };
}

async function draftWith(name: string): Promise<number> {
  const processed = await ingestPhotos(db(), [upload(name)]);
  const id = await createContribution(
    db(),
    author,
    { title: "Photos", body: richDoc("Texte."), tags: [], visibilityWish: "department", proposeExternal: false },
    processed,
  );
  const row = await db().selectFrom("photo").select("id").where("contribution_id", "=", id).executeTakeFirstOrThrow();
  return row.id;
}

async function fetchKind(photoId: number, kind: string, cookie: string, headers: Record<string, string> = {}) {
  const request = get(`/photos/${photoId}/${kind}`, cookie);
  for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
  return (await run(() => photoRoute.loader({ request, params: { id: String(photoId), rendition: kind }, context }))) as Response;
}

describe("photos in an S3 bucket", () => {
  it("an upload lands in the bucket, not on disk, and is served through the app with its ETag and 304", async () => {
    expect(env().STORAGE).toBe("s3");
    const photoId = await draftWith("gps-DSCN0010.jpg");
    const rows = await db().selectFrom("photo_rendition").select(["kind", "file_key"]).where("photo_id", "=", photoId).execute();
    const photo = await db().selectFrom("photo").select("master_key").where("id", "=", photoId).executeTakeFirstOrThrow();
    const names = await objectNames();
    for (const key of [photo.master_key, ...rows.map((r) => r.file_key)]) expect(names).toContain(key);
    expect(fs.existsSync(path.join(env().UPLOADS_DIR, "photos"))).toBe(false);
    // The upload temp was consumed.
    expect(fs.readdirSync(tmpDir())).toEqual([]);

    const display = rows.find((r) => r.kind === "display")!;
    const response = await fetchKind(photoId, "display", author.cookie);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.equals(await objectBytes(display.file_key))).toBe(true);
    expect(response.headers.get("Content-Length")).toBe(String(body.length));
    expect(response.headers.get("Content-Type")).toBe("image/webp");
    const etag = response.headers.get("ETag")!;
    expect(etag).toBe(`"${display.file_key.slice(-69, -5)}"`);

    const again = await fetchKind(photoId, "display", author.cookie, { "If-None-Match": etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("a photo one may not see answers 404 and sends no byte", async () => {
    const photoId = await draftWith("Canon_40D.jpg");
    const stranger = await signedIn("agent");
    const refused = await fetchKind(photoId, "master", stranger.cookie);
    expect(refused.status).toBe(404);
    expect(refused.headers.get("Content-Type")).not.toBe("image/webp");
  });

  it("a crop made on demand is stored in the bucket and served", async () => {
    const photoId = await draftWith("orientation-landscape_1.jpg");
    const response = await fetchKind(photoId, "square", author.cookie);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const row = await db().selectFrom("photo_rendition").select("file_key").where("photo_id", "=", photoId).where("kind", "=", "square").executeTakeFirstOrThrow();
    expect(body.equals(await objectBytes(row.file_key))).toBe(true);
  });
});

describe("the sweeper on S3", () => {
  it("lists the bucket and deletes old orphans, keeping referenced objects and recent ones", async () => {
    const store = storage();
    const referencedId = await draftWith("orientation-portrait_6.jpg");
    const orphan = await ingestPhotos(db(), [upload("gps-DSCN0021.jpg")]); // no row: an upload that never finished
    // S3 keeps write times to the second and cannot age an object: real time passes instead.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const recent = await ingestPhotos(db(), [upload("orientation-landscape_8.jpg")]);
    const orphanKeys = [orphan[0].masterKey, ...orphan[0].renditions.map((r) => r.key)];
    const recentKeys = [recent[0].masterKey, ...recent[0].renditions.map((r) => r.key)];

    const { removed } = await sweepOrphanFiles(db(), store, { graceMs: 3000 });

    expect(removed.sort()).toEqual(orphanKeys.sort());
    const names = await objectNames();
    for (const key of orphanKeys) expect(names).not.toContain(key);
    for (const key of recentKeys) expect(names).toContain(key);
    const referenced = await db().selectFrom("photo").select("master_key").where("id", "=", referencedId).executeTakeFirstOrThrow();
    expect(names).toContain(referenced.master_key);
  });
});
