import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { env } from "~/env.server";
import { createDiskStorage, isValidKey, keyForHash, storage, tmpDir, type Storage } from "./storage.server";

function freshRoot(): string {
  return path.join(env().UPLOADS_DIR, `store-${randomBytes(6).toString("hex")}`);
}

function keyOf(data: Buffer): string {
  return keyForHash(createHash("sha256").update(data).digest("hex"));
}

async function listAll(store: Storage) {
  const entries: { key: string; mtime: Date }[] = [];
  for await (const entry of store.list()) entries.push(entry);
  return entries.sort((a, b) => a.key.localeCompare(b.key));
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

const HASH = "ab" + "0".repeat(62);

describe("keys", () => {
  it("only keys of the form photos/<2 hex>/<sha256>.webp, the folder being the hash's prefix", () => {
    expect(isValidKey(`photos/ab/${HASH}.webp`)).toBe(true);
    expect(keyForHash(HASH)).toBe(`photos/ab/${HASH}.webp`);
    for (const bad of [
      `photos/cd/${HASH}.webp`, // folder is not the prefix
      `photos/AB/${HASH.toUpperCase()}.webp`,
      `photos/ab/${HASH}.jpg`,
      `photos/ab/${HASH.slice(1)}.webp`,
      `photos/ab/../../${HASH}.webp`,
      `../photos/ab/${HASH}.webp`,
      `/photos/ab/${HASH}.webp`,
      `photos\\ab\\${HASH}.webp`,
      `photos/ab/${HASH}.webp\0`,
      `photos/ab/${HASH}.webp/`,
      "../../etc/passwd",
      "",
    ]) {
      expect(isValidKey(bad), bad).toBe(false);
    }
    expect(isValidKey(undefined)).toBe(false);
  });

  it("every method refuses an invalid key before touching the disk", async () => {
    const root = freshRoot();
    const store = createDiskStorage(root);
    const outside = path.join(env().UPLOADS_DIR, `victim-${randomBytes(4).toString("hex")}.webp`);
    fs.writeFileSync(outside, "keep me");
    const escape = path.relative(root, outside); // "../victim-….webp"
    const source = path.join(tmpDir(), `upload-${randomBytes(4).toString("hex")}`);
    fs.writeFileSync(source, "data");

    for (const key of [escape, "../../etc/passwd", `photos/ab/../../../${path.basename(outside)}`]) {
      await expect(store.putBuffer(key, Buffer.from("x"))).rejects.toThrow(/invalide/);
      await expect(store.putFile(key, source)).rejects.toThrow(/invalide/);
      await expect(store.exists(key)).rejects.toThrow(/invalide/);
      await expect(store.stat(key)).rejects.toThrow(/invalide/);
      await expect(store.delete(key)).rejects.toThrow(/invalide/);
      expect(() => store.createReadStream(key)).toThrow(/invalide/);
    }
    expect(fs.readFileSync(outside, "utf8")).toBe("keep me");
    expect(fs.existsSync(source)).toBe(true);
    expect(filesUnder(root)).toEqual([]);
    fs.rmSync(source);
  });
});

describe("disk storage", () => {
  it("round-trips a buffer: putBuffer, exists, stat, createReadStream, list, delete", async () => {
    const root = freshRoot();
    const store = createDiskStorage(root);
    const data = Buffer.from("pas vraiment du WebP");
    const key = keyOf(data);

    expect(await store.exists(key)).toBe(false);
    expect(await store.stat(key)).toBeNull();
    const before = Date.now();
    await store.putBuffer(key, data);
    expect(await store.exists(key)).toBe(true);
    const stat = await store.stat(key);
    expect(stat?.size).toBe(data.length);
    expect(stat!.mtime.getTime()).toBeGreaterThanOrEqual(before - 2000);
    expect(await text(store.createReadStream(key))).toBe(data.toString());
    expect(fs.readFileSync(path.join(root, key))).toEqual(data);
    expect((await listAll(store)).map((entry) => entry.key)).toEqual([key]);
    // Only the file itself: the temp name used for the write is gone.
    expect(filesUnder(root)).toEqual([path.join(...key.split("/"))]);

    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
    await store.delete(key); // a missing file is fine
    expect(await listAll(store)).toEqual([]);
  });

  it("a missing file surfaces as a stream error, not a crash", async () => {
    const store = createDiskStorage(freshRoot());
    const stream = store.createReadStream(keyForHash(HASH));
    await expect(text(stream)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("putBuffer over an existing key replaces it whole (concurrent writers of the same content)", async () => {
    const root = freshRoot();
    const store = createDiskStorage(root);
    const data = randomBytes(256 * 1024);
    const key = keyOf(data);
    await Promise.all(Array.from({ length: 8 }, () => store.putBuffer(key, data)));
    expect(fs.readFileSync(path.join(root, key))).toEqual(data);
    expect(filesUnder(root)).toHaveLength(1);
  });

  it("putFile moves an upload temp into place", async () => {
    const root = freshRoot();
    const store = createDiskStorage(root);
    const data = randomBytes(1000);
    const source = path.join(tmpDir(), `upload-${randomBytes(4).toString("hex")}`);
    fs.writeFileSync(source, data);
    const key = keyOf(data);
    await store.putFile(key, source);
    expect(fs.existsSync(source)).toBe(false);
    expect(fs.readFileSync(path.join(root, key))).toEqual(data);
    expect(filesUnder(root)).toEqual([path.join(...key.split("/"))]);
  });

  it("putFile of a missing source fails and leaves nothing", async () => {
    const root = freshRoot();
    const store = createDiskStorage(root);
    await expect(store.putFile(keyForHash(HASH), path.join(tmpDir(), "absent"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(filesUnder(root)).toEqual([]);
  });

  it("list ignores foreign files and half-written temps; removeStaleTemps clears old temps only", async () => {
    const root = freshRoot();
    const store = createDiskStorage(root);
    const data = Buffer.from("a");
    const key = keyOf(data);
    await store.putBuffer(key, data);
    const folder = path.join(root, "photos", key.split("/")[1]);
    fs.writeFileSync(path.join(folder, "notes.txt"), "pas une clé");
    fs.mkdirSync(path.join(root, "photos", "zz"), { recursive: true });
    fs.writeFileSync(path.join(root, "photos", "zz", `${"f".repeat(64)}.webp`), "mauvais dossier");
    const oldTemp = path.join(folder, ".tmp-old");
    const newTemp = path.join(folder, ".tmp-new");
    fs.writeFileSync(oldTemp, "crash");
    fs.writeFileSync(newTemp, "en cours");
    const hourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(oldTemp, hourAgo, hourAgo);

    expect((await listAll(store)).map((entry) => entry.key)).toEqual([key]);
    expect(await store.removeStaleTemps(new Date(Date.now() - 60_000))).toBe(1);
    expect(fs.existsSync(oldTemp)).toBe(false);
    expect(fs.existsSync(newTemp)).toBe(true);
    expect(fs.existsSync(path.join(folder, "notes.txt"))).toBe(true);
  });

  it("list of an empty root yields nothing", async () => {
    expect(await listAll(createDiskStorage(freshRoot()))).toEqual([]);
  });
});

describe("instance storage", () => {
  it("storage() is the disk under UPLOADS_DIR; tmpDir() lives inside it", async () => {
    const root = path.resolve(env().UPLOADS_DIR);
    expect(tmpDir()).toBe(path.join(root, "tmp"));
    expect(fs.statSync(tmpDir()).isDirectory()).toBe(true);
    expect(storage()).toBe(storage());
    const data = Buffer.from("instance");
    const key = keyOf(data);
    await storage().putBuffer(key, data);
    expect(fs.readFileSync(path.join(root, key))).toEqual(data);
    await storage().delete(key);
  });
});
