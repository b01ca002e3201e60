import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { processPhoto, type ProcessedPhoto } from "./pipeline.server";
import { insertPhotos } from "./photos.server";
import { createDiskStorage, storage, tmpDir, type Storage } from "./storage.server";
import { deleteUnreferenced, sweepOrphanFiles } from "./sweeper.server";

import { SAMPLE_PHOTOS as PHOTOS } from "../../tests/fixtures/photos";
const GRACE_MS = 10 * 60_000;
let contributionId: number;

beforeAll(async () => {
  const department = await db().insertInto("department").values({ name: "Photos" }).returning("id").executeTakeFirstOrThrow();
  const user = await db()
    .insertInto("app_user")
    .values({ id: "photographe", email: "photo@example.org", display_name: "Photographe", role: "agent", department_id: department.id })
    .returning("id")
    .executeTakeFirstOrThrow();
  const contribution = await db()
    .insertInto("contribution")
    .values({
      author_id: user.id,
      department_id: department.id,
      title: "Sortie",
      body_json: JSON.stringify({ type: "doc", content: [] }),
      body_html: "",
      body_text: "",
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  contributionId = contribution.id;
});

function freshStore(): { store: Storage; root: string } {
  const root = path.join(env().UPLOADS_DIR, `store-${randomBytes(6).toString("hex")}`);
  return { store: createDiskStorage(root), root };
}

async function insertPhoto(photo: ProcessedPhoto, position = 0): Promise<number> {
  const row = await db()
    .insertInto("photo")
    .values({
      contribution_id: contributionId,
      position,
      master_key: photo.masterKey,
      width: photo.width,
      height: photo.height,
      bytes: photo.bytes,
      placeholder: photo.placeholder,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db()
    .insertInto("photo_rendition")
    .values(photo.renditions.map((r) => ({ photo_id: row.id, kind: r.kind, width: r.width, height: r.height, bytes: r.bytes, file_key: r.key })))
    .execute();
  return row.id;
}

const keysOf = (photo: ProcessedPhoto) => [photo.masterKey, ...photo.renditions.map((r) => r.key)];

function age(file: string, ms: number) {
  const then = new Date(Date.now() - ms);
  fs.utimesSync(file, then, then);
}

async function listKeys(store: Storage): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.list()) keys.push(key);
  return keys.sort();
}

describe("sweepOrphanFiles", () => {
  it("keeps referenced files, removes old orphans, spares recent orphans (upload in flight)", async () => {
    const { store, root } = freshStore();
    const referenced = await processPhoto(path.join(PHOTOS, "gps-DSCN0010.jpg"), store);
    await insertPhoto(referenced);
    const oldOrphan = await processPhoto(path.join(PHOTOS, "gps-DSCN0021.jpg"), store);
    const newOrphan = await processPhoto(path.join(PHOTOS, "Canon_40D.jpg"), store);
    // Everything old except the upload in flight.
    for (const key of [...keysOf(referenced), ...keysOf(oldOrphan)]) age(path.join(root, key), 2 * GRACE_MS);

    const { removed } = await sweepOrphanFiles(db(), store, { graceMs: GRACE_MS });

    expect(removed.sort()).toEqual(keysOf(oldOrphan).sort());
    for (const key of keysOf(oldOrphan)) expect(fs.existsSync(path.join(root, key))).toBe(false);
    expect(await listKeys(store)).toEqual([...keysOf(referenced), ...keysOf(newOrphan)].sort());
  });

  it("removes old upload temps and half-written storage temps, keeps recent ones and foreign files", async () => {
    const { store, root } = freshStore();
    const kept = await processPhoto(path.join(PHOTOS, "Canon_40D.jpg"), store);
    await insertPhoto(kept);
    const oldUpload = path.join(tmpDir(), "upload-old");
    const newUpload = path.join(tmpDir(), "upload-new");
    fs.writeFileSync(oldUpload, "abandonné");
    fs.writeFileSync(newUpload, "en cours");
    age(oldUpload, 2 * GRACE_MS);
    const folder = path.dirname(path.join(root, kept.masterKey));
    const staleWrite = path.join(folder, ".tmp-crash");
    fs.writeFileSync(staleWrite, "moitié");
    age(staleWrite, 2 * GRACE_MS);
    const foreign = path.join(root, "photos", "LISEZMOI.txt");
    fs.writeFileSync(foreign, "pas une clé");
    age(foreign, 2 * GRACE_MS);

    const { removed, temps } = await sweepOrphanFiles(db(), store, { graceMs: GRACE_MS });

    expect(removed).toEqual([]);
    expect(temps).toBe(2);
    expect(fs.existsSync(oldUpload)).toBe(false);
    expect(fs.existsSync(staleWrite)).toBe(false);
    expect(fs.existsSync(newUpload)).toBe(true);
    expect(fs.existsSync(foreign)).toBe(true);
    fs.rmSync(newUpload);
  });

  it("spares an old orphan rewritten by a new upload of the same image (mtime refreshed)", async () => {
    const { store, root } = freshStore();
    const first = await processPhoto(path.join(PHOTOS, "orientation-landscape_1.jpg"), store);
    for (const key of keysOf(first)) age(path.join(root, key), 2 * GRACE_MS);
    // The same image uploaded again: its row is not inserted yet when the sweeper passes.
    const again = await processPhoto(path.join(PHOTOS, "orientation-landscape_1.jpg"), store);
    expect({ ...again, createdKeys: [] }).toEqual({ ...first, createdKeys: [] });
    const { removed } = await sweepOrphanFiles(db(), store, { graceMs: GRACE_MS });
    expect(removed).toEqual([]);
    expect(await listKeys(store)).toEqual(keysOf(first).sort());
  });
});

describe("deleteUnreferenced", () => {
  it("removes the files of deleted rows, except those another row still shares", async () => {
    const { store } = freshStore();
    // The same image in two photos (two contributions, or twice in one): shared files.
    const shared = await processPhoto(path.join(PHOTOS, "orientation-landscape_6.jpg"), store);
    const firstId = await insertPhoto(shared, 1);
    const secondId = await insertPhoto(shared, 2);
    const other = await processPhoto(path.join(PHOTOS, "orientation-landscape_8.jpg"), store);
    const otherId = await insertPhoto(other, 3);

    await db().deleteFrom("photo").where("id", "=", firstId).execute();
    expect(await deleteUnreferenced(db(), store, keysOf(shared))).toEqual([]);
    for (const key of keysOf(shared)) expect(await store.exists(key)).toBe(true);

    await db().deleteFrom("photo").where("id", "in", [secondId, otherId]).execute();
    const removed = await deleteUnreferenced(db(), store, [...keysOf(shared), ...keysOf(other), ...keysOf(shared)]);
    expect(removed.sort()).toEqual([...keysOf(shared), ...keysOf(other)].sort());
    expect(await listKeys(store)).toEqual([]);
  });

  it("ignores invalid keys instead of touching the disk", async () => {
    const { store } = freshStore();
    expect(await deleteUnreferenced(db(), store, ["../../etc/passwd", "photos/zz/x.webp"])).toEqual([]);
  });

  it("waits for an upload of the same image that is inserting its row, then keeps the shared files", async () => {
    const store = storage(); // insertPhotos checks the app's own storage
    const first = await processPhoto(path.join(PHOTOS, "orientation-portrait_6.jpg"), store);
    const firstId = await insertPhoto(first, 10);
    await db().deleteFrom("photo").where("id", "=", firstId).execute();
    // Another upload of that image: its files were already there, its row is being inserted.
    const again = await processPhoto(path.join(PHOTOS, "orientation-portrait_6.jpg"), store);
    let commit!: () => void;
    const inserted = new Promise<void>((resolve) => (commit = resolve));
    let rowsIn!: () => void;
    const rowsInserted = new Promise<void>((resolve) => (rowsIn = resolve));
    const upload = db().transaction().execute(async (trx) => {
      await insertPhotos(trx, contributionId, [again]);
      rowsIn();
      await inserted;
    });
    await rowsInserted;
    let deletionDone = false;
    const deletion = deleteUnreferenced(db(), store, keysOf(first)).then((removed) => {
      deletionDone = true;
      return removed;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(deletionDone).toBe(false); // held until the upload commits
    commit();
    await upload;
    expect(await deletion).toEqual([]);
    for (const key of keysOf(first)) expect(await store.exists(key)).toBe(true);
    await db().deleteFrom("photo").where("contribution_id", "=", contributionId).where("master_key", "=", again.masterKey).execute();
    await deleteUnreferenced(db(), store, keysOf(again));
  });

  it("an upload whose files a deletion removed first is refused (409), leaving no row", async () => {
    const store = storage();
    const processed = await processPhoto(path.join(PHOTOS, "orientation-landscape_3.jpg"), store);
    expect(await deleteUnreferenced(db(), store, keysOf(processed))).toEqual(keysOf(processed)); // no row yet: gone
    const before = await db().selectFrom("photo").select("id").execute();
    const refused = await db()
      .transaction()
      .execute((trx) => insertPhotos(trx, contributionId, [processed]))
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ key: "photos.errors.vanished", field: "photos", status: 409 });
    expect(await db().selectFrom("photo").select("id").execute()).toEqual(before);
  });
});
