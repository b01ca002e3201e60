import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { setDatabaseUrl } from "~/env.server";
import { createS3Client, type S3Settings } from "~/photos/storage.server";
import { buildExport, deleteExpiredExports, requestExport } from "~/privacy/export.server";
import * as download from "~/routes/account.export_.$id";
import { context, get, run } from "../../factories";
import { startS3Standin, type S3Standin } from "../../standins/s3";
import { readZip } from "../../zip";
import { publishable } from "../publishing/fixtures";

// The export with STORAGE=s3: photo masters read from the bucket, the ZIP stored there, served
// from there, and deleted from there when it expires.

let s3: S3Standin;
let bucket: S3Settings;

beforeAll(async () => {
  s3 = await startS3Standin();
  bucket = await s3.newBucket();
  Object.assign(process.env, s3.envFor(bucket));
  setDatabaseUrl(process.env.DATABASE_URL!); // settings read again, now with STORAGE=s3
});
afterAll(async () => {
  await s3?.close();
});

async function objectNames(prefix: string): Promise<string[]> {
  const listed = await createS3Client(bucket).send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!);
}

describe("data export on S3-compatible storage", () => {
  it("reads the photos from the bucket, stores the ZIP there, serves it, and deletes it once expired", async () => {
    const mine = await publishable({ photos: 2 });
    const me = { id: mine.author.id, role: "agent" as const, departmentId: mine.departmentId };
    const id = await requestExport(db(), me, me.id);
    await buildExport(db(), id);
    const row = await db().selectFrom("data_export").select(["file_key", "photos_done"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect(row.photos_done).toBe(2);
    expect(await objectNames("exports/")).toEqual([row.file_key]);

    const response = (await run(() => download.loader({ request: get(`/account/export/${id}`, mine.author.cookie), params: { id: String(id) }, context }))) as Response;
    expect(response.status).toBe(200);
    const zip = readZip(Buffer.from(await response.arrayBuffer()));
    const masters = await db().selectFrom("photo").select(["id", "bytes"]).where("contribution_id", "=", mine.id).orderBy("position").execute();
    for (const photo of masters) expect(zip.get(`photos/${mine.id}-${photo.id}.webp`)!.length).toBe(photo.bytes);

    await db().updateTable("data_export").set({ expires_at: new Date(Date.now() - 1000) }).where("id", "=", id).execute();
    expect(await deleteExpiredExports(db())).toBe(1);
    expect(await objectNames("exports/")).toEqual([]);
  });
});
