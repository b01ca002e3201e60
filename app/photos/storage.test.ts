import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { buffer, text } from "node:stream/consumers";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigurationError, env, startupEnv } from "~/env.server";
import { startS3Standin, type S3Standin } from "../../tests/standins/s3";
import {
  createDiskStorage,
  createS3Client,
  createS3Storage,
  isValidKey,
  keyForHash,
  storage,
  tmpDir,
  type S3Settings,
  type Storage,
} from "./storage.server";

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
});

let s3: S3Standin;
beforeAll(async () => {
  s3 = await startS3Standin();
});
afterAll(async () => {
  await s3?.close();
});

/** A fresh, empty store and a look at what it really holds, bypassing the interface. */
interface Backend {
  store: Storage;
  /** The stored bytes under `name`, or null. */
  raw(name: string): Promise<Buffer | null>;
  /** Every stored name, sorted (temps and foreign files included). */
  rawNames(): Promise<string[]>;
  /** Stores a foreign file or object under `name`, as another program could. */
  putForeign(name: string, data: string): Promise<void>;
}

function diskBackend(): Backend {
  const root = freshRoot();
  const store = createDiskStorage(root);
  return {
    store,
    raw: async (name) => (fs.existsSync(path.join(root, name)) ? fs.readFileSync(path.join(root, name)) : null),
    rawNames: async () => filesUnder(root).map((file) => file.split(path.sep).join("/")),
    async putForeign(name, data) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), data);
    },
  };
}

async function s3Backend(options: Partial<S3Settings> = {}): Promise<Backend> {
  const settings = { ...(await s3.newBucket()), ...options };
  const client = createS3Client(settings);
  const Bucket = settings.bucket;
  return {
    store: createS3Storage(settings),
    async raw(name) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket, Key: name }));
        return Buffer.from(await object.Body!.transformToByteArray());
      } catch (error) {
        if ((error as Error).name === "NoSuchKey") return null;
        throw error;
      }
    },
    async rawNames() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket }));
      return (listed.Contents ?? []).map((object) => object.Key!).sort();
    },
    async putForeign(name, data) {
      await client.send(new PutObjectCommand({ Bucket, Key: name, Body: data }));
    },
  };
}

// The same behaviour, whichever the storage: the callers must not know where files live.
describe.each([
  ["disk", async () => diskBackend()],
  ["S3", () => s3Backend()],
] as const)("%s storage", (_name, makeBackend) => {
  it("every method refuses an invalid key before touching the files", async () => {
    const { store, rawNames } = await makeBackend();
    const outside = path.join(env().UPLOADS_DIR, `victim-${randomBytes(4).toString("hex")}.webp`);
    fs.writeFileSync(outside, "keep me");
    const source = path.join(tmpDir(), `upload-${randomBytes(4).toString("hex")}`);
    fs.writeFileSync(source, "data");

    for (const key of ["../victim.webp", "../../etc/passwd", `photos/ab/../../../${path.basename(outside)}`, "LISEZMOI.txt"]) {
      await expect(store.putBuffer(key, Buffer.from("x"))).rejects.toThrow(/invalide/);
      await expect(store.putFile(key, source)).rejects.toThrow(/invalide/);
      await expect(store.exists(key)).rejects.toThrow(/invalide/);
      await expect(store.stat(key)).rejects.toThrow(/invalide/);
      await expect(store.delete(key)).rejects.toThrow(/invalide/);
      expect(() => store.createReadStream(key)).toThrow(/invalide/);
    }
    expect(fs.readFileSync(outside, "utf8")).toBe("keep me");
    expect(fs.existsSync(source)).toBe(true);
    expect(await rawNames()).toEqual([]);
    fs.rmSync(source);
  });

  it("round-trips a buffer: putBuffer, exists, stat, createReadStream, list, delete", async () => {
    const { store, raw, rawNames } = await makeBackend();
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
    expect(stat!.mtime.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
    expect(await text(store.createReadStream(key))).toBe(data.toString());
    expect(await raw(key)).toEqual(data);
    expect((await listAll(store)).map((entry) => entry.key)).toEqual([key]);
    // Only the file itself: nothing used for the write (temp name) is left.
    expect(await rawNames()).toEqual([key]);

    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
    await store.delete(key); // a missing file is fine
    expect(await listAll(store)).toEqual([]);
    expect(await rawNames()).toEqual([]);
  });

  it("keeps a signed consent form under consent-forms/, readable by its key and out of list() (the sweeper never sees it)", async () => {
    const { store, raw, rawNames } = await makeBackend();
    const hex = randomBytes(32).toString("hex");
    const key = `consent-forms/${hex.slice(0, 2)}/${hex}.pdf`;
    const data = Buffer.from("%PDF-1.4 formulaire signé");
    const source = path.join(tmpDir(), `upload-${randomBytes(4).toString("hex")}`);
    fs.writeFileSync(source, data);
    await store.putFile(key, source);
    expect(await buffer(store.createReadStream(key) as Readable)).toEqual(data);
    expect(await raw(key)).toEqual(data);
    expect(await listAll(store)).toEqual([]);
    expect(await rawNames()).toEqual([key]);
    await store.delete(key);
    expect(await rawNames()).toEqual([]);
    // Not a way around the photos' keys: the folder must be the name's prefix, the type one of three.
    for (const bad of [`consent-forms/zz/${hex}.pdf`, `consent-forms/${hex.slice(0, 2)}/${hex}.exe`, `consent-forms/${hex.slice(0, 2)}/../${hex}.pdf`]) {
      await expect(store.putBuffer(bad, data)).rejects.toThrow(/invalide/);
    }
  });

  it("a missing file surfaces as a stream error (ENOENT), not a crash", async () => {
    const { store } = await makeBackend();
    const stream = store.createReadStream(keyForHash(HASH));
    await expect(text(stream)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("putBuffer over an existing key replaces it whole (concurrent writers of the same content)", async () => {
    const { store, raw, rawNames } = await makeBackend();
    const data = randomBytes(256 * 1024);
    const key = keyOf(data);
    await Promise.all(Array.from({ length: 8 }, () => store.putBuffer(key, data)));
    expect(await raw(key)).toEqual(data);
    expect(await rawNames()).toEqual([key]);
  });

  it("putFile moves an upload temp into place, bytes intact (a streamed 3 MB file)", async () => {
    const { store, raw, rawNames } = await makeBackend();
    // Streamed uploads are where S3 clients with default checksums store aws-chunked framing.
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const source = path.join(tmpDir(), `upload-${randomBytes(4).toString("hex")}`);
    fs.writeFileSync(source, data);
    const key = keyOf(data);
    await store.putFile(key, source);
    expect(fs.existsSync(source)).toBe(false);
    const stored = await raw(key);
    expect(stored?.length).toBe(data.length);
    expect(stored!.equals(data)).toBe(true);
    expect((await store.stat(key))?.size).toBe(data.length);
    expect((await buffer(store.createReadStream(key))).equals(data)).toBe(true);
    expect(await rawNames()).toEqual([key]);
  });

  it("reads a file whole given its size, small or large", async () => {
    const { store } = await makeBackend();
    for (const size of [20_000, 200_000]) {
      const data = randomBytes(size);
      const key = keyOf(data);
      await store.putBuffer(key, data);
      const chunks: Buffer[] = [];
      for await (const chunk of store.createReadStream(key, { size })) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
    }
  });

  it("putFile of a missing source fails and leaves nothing", async () => {
    const { store, rawNames } = await makeBackend();
    await expect(store.putFile(keyForHash(HASH), path.join(tmpDir(), "absent"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await rawNames()).toEqual([]);
  });

  it("list yields only valid keys: foreign files and misplaced names are ignored", async () => {
    const { store, putForeign } = await makeBackend();
    const data = Buffer.from("a");
    const key = keyOf(data);
    await store.putBuffer(key, data);
    await putForeign(`photos/${key.split("/")[1]}/notes.txt`, "pas une clé");
    await putForeign(`photos/zz/${"f".repeat(64)}.webp`, "mauvais dossier");
    await putForeign(`photos/cd/${HASH}.webp`, "pas le bon préfixe");
    await putForeign("LISEZMOI.txt", "ailleurs");
    expect((await listAll(store)).map((entry) => entry.key)).toEqual([key]);
  });

  it("list of an empty store yields nothing", async () => {
    const { store } = await makeBackend();
    expect(await listAll(store)).toEqual([]);
  });
});

describe("disk storage", () => {
  it("reads a small file given its size in one read: no second read to find its end", async () => {
    const { store } = await diskBackend();
    const data = randomBytes(20_000);
    const key = keyOf(data);
    await store.putBuffer(key, data);
    const reads = vi.spyOn(fs, "read");
    try {
      expect((await buffer(store.createReadStream(key, { size: data.length }))).equals(data)).toBe(true);
      // Each read is a trip through libuv's thread pool, and took a 64 KB buffer: per served thumbnail.
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });

  it("removeStaleTemps clears half-written temps older than the cutoff only; list never shows temps", async () => {
    const root = freshRoot();
    const store = createDiskStorage(root);
    const data = Buffer.from("a");
    const key = keyOf(data);
    await store.putBuffer(key, data);
    const folder = path.join(root, "photos", key.split("/")[1]);
    fs.writeFileSync(path.join(folder, "notes.txt"), "pas une clé");
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
});

describe("S3 storage", () => {
  it("list pages through a bucket larger than one listing page", async () => {
    const { store } = await s3Backend({ pageSize: 2 });
    const keys = await Promise.all(
      ["un", "deux", "trois", "quatre", "cinq"].map(async (word) => {
        const data = Buffer.from(word);
        await store.putBuffer(keyOf(data), data);
        return keyOf(data);
      }),
    );
    expect((await listAll(store)).map((entry) => entry.key)).toEqual(keys.sort());
  });

  it("a stream closed early by its reader does not fail or leak", async () => {
    const { store } = await s3Backend();
    const data = randomBytes(2 * 1024 * 1024);
    const key = keyOf(data);
    await store.putBuffer(key, data);
    const stream = store.createReadStream(key) as Readable;
    const first = await new Promise<Buffer>((resolve) => stream.once("data", resolve));
    expect(first.length).toBeGreaterThan(0);
    stream.destroy();
    // The bucket still answers afterwards.
    expect((await store.stat(key))?.size).toBe(data.length);
  });
});

describe("STORAGE settings", () => {
  const S3_VARIABLES = ["STORAGE", "S3_ENDPOINT", "S3_REGION", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"];
  function settingsWith(values: Record<string, string>) {
    const saved = Object.fromEntries(S3_VARIABLES.map((name) => [name, process.env[name]]));
    Object.assign(process.env, values);
    try {
      return startupEnv();
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }
  const refusal = (values: Record<string, string>) => {
    try {
      settingsWith(values);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return (error as Error).message;
    }
    throw new Error("accepted");
  };

  it("disk by default; s3 with its bucket and keys", () => {
    expect(settingsWith({}).STORAGE).toBe("disk");
    const settings = settingsWith({
      STORAGE: "s3",
      S3_ENDPOINT: "https://s3.example.org/",
      S3_BUCKET: "relais-photos",
      S3_ACCESS_KEY_ID: "AKIA",
      S3_SECRET_ACCESS_KEY: "chut",
    });
    expect(settings).toMatchObject({ STORAGE: "s3", S3_ENDPOINT: "https://s3.example.org", S3_REGION: "us-east-1", S3_BUCKET: "relais-photos" });
  });

  it("STORAGE=s3 without bucket or keys is refused, naming each; the secret is never repeated", () => {
    const missing = refusal({ STORAGE: "s3", S3_SECRET_ACCESS_KEY: "" });
    expect(missing).toMatch(/S3_BUCKET=«  » : attendu une valeur \(requise avec STORAGE=s3\)/);
    expect(missing).toMatch(/S3_ACCESS_KEY_ID=«  » : attendu/);
    expect(missing).toMatch(/S3_SECRET_ACCESS_KEY=«  » : attendu/);

    const bad = refusal({ STORAGE: "nuage", S3_ENDPOINT: "s3.example.org", S3_BUCKET: "Mes_Photos", S3_SECRET_ACCESS_KEY: "très-secret-42" });
    expect(bad).toContain("STORAGE=« nuage » : attendu disk ou s3");
    expect(bad).toMatch(/S3_ENDPOINT=« s3\.example\.org » : attendu une adresse http/);
    expect(bad).toMatch(/S3_BUCKET=« Mes_Photos » : attendu un nom de compartiment/);
    const wrongSecret = refusal({ STORAGE: "s3", S3_BUCKET: "relais", S3_ACCESS_KEY_ID: "id", S3_SECRET_ACCESS_KEY: "très-secret-42", S3_REGION: "Paris !" });
    expect(wrongSecret).toContain("S3_REGION");
    expect(wrongSecret).not.toContain("très-secret-42");
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
