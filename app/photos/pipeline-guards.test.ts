import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { env } from "~/env.server";
import { containsMarkup, fileContainsMarkup, MAX_INPUT_PIXELS, PHOTO_MESSAGES, processPhoto, sniffFormat } from "./pipeline.server";
import { createDiskStorage, tmpDir, type Storage } from "./storage.server";

import { blackPng, SAMPLE_PHOTOS as PHOTOS } from "../../tests/fixtures/photos";
import { refusal } from "../../tests/fixtures/photo-errors";

// Every call of sharp(input, options) made in this file (by the pipeline included), so that the
// options it decodes uploads with can be checked; sharp itself still does the work.
const sharpCalls = vi.hoisted(() => [] as { input: unknown; options: Record<string, unknown> | undefined }[]);
vi.mock("sharp", async (importOriginal) => {
  const actual = await importOriginal<typeof import("sharp")>();
  const real = actual.default;
  const spied = new Proxy(real, {
    apply(target, thisArg, args: unknown[]) {
      sharpCalls.push({ input: args[0], options: args[1] as Record<string, unknown> | undefined });
      return Reflect.apply(target, thisArg, args);
    },
  });
  return { ...actual, default: spied };
});
const { default: sharp } = await import("sharp");

const photo = (name: string) => path.join(PHOTOS, name);

function freshStore(): { store: Storage; root: string } {
  const root = path.join(env().UPLOADS_DIR, `store-${randomBytes(6).toString("hex")}`);
  return { store: createDiskStorage(root), root };
}

function uploadTemp(data: Buffer): string {
  const file = path.join(tmpDir(), `upload-${randomBytes(8).toString("hex")}`);
  fs.writeFileSync(file, data);
  return file;
}

function filesIn(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}


describe("sharp's limitInputPixels guards every decode of an upload", () => {
  // 7100 x 7100 = 50.41 MP: over our 50 MP, far under sharp's own default limit (~268 MP).
  const side = 7100;

  it("every sharp() call on the uploaded bytes carries limitInputPixels = 50 MP, and those options alone refuse a 50.4 MP image", async () => {
    sharpCalls.length = 0;
    const upload = fs.readFileSync(photo("orientation-landscape_1.jpg"));
    const { store } = freshStore();
    const temp = uploadTemp(upload);
    await processPhoto(temp, store);

    // The calls that read the upload's file (header check, then decode); the others start from raw pixels.
    const onUpload = sharpCalls.filter((c) => c.input === temp);
    expect(onUpload.length).toBeGreaterThanOrEqual(2);
    for (const call of onUpload) expect(call.options?.limitInputPixels).toBe(MAX_INPUT_PIXELS);
    expect(MAX_INPUT_PIXELS).toBe(50_000_000);
    for (const call of sharpCalls.filter((c) => !onUpload.includes(c))) expect(call.options, "raw pixels of the master").toHaveProperty("raw");

    // What those options do by themselves: sharp refuses the image before decoding it...
    const big = blackPng(side);
    const options = onUpload[onUpload.length - 1].options!;
    await expect(sharp(big, options).metadata()).rejects.toThrow(/pixel limit/i);
    await expect(sharp(big, options).raw().toBuffer()).rejects.toThrow(/pixel limit/i);
    // ...which sharp's default would not (the control: same image, same options but the limit).
    const { limitInputPixels: _, ...withoutLimit } = options;
    const meta = await sharp(big, withoutLimit).metadata();
    expect(meta.width! * meta.height!).toBe(side * side);
    expect(side * side).toBeGreaterThan(MAX_INPUT_PIXELS);
  });

  it("the pipeline refuses that 50.4 MP image with the 50 MP message, leaving nothing", async () => {
    const { store, root } = freshStore();
    const input = uploadTemp(blackPng(side));
    const error = await refusal(processPhoto(input, store));
    expect(error.code).toBe("too_many_pixels");
    expect(error.status).toBe(400);
    expect(error.message).toBe(PHOTO_MESSAGES.too_many_pixels);
    expect(filesIn(root)).toEqual([]);
    fs.rmSync(input);
  });

  it("accepts an image just under the limit (7000 x 7000 = 49 MP)", { timeout: 90_000 }, async () => {
    const { store } = freshStore();
    const input = uploadTemp(blackPng(7000));
    const result = await processPhoto(input, store);
    expect(result).toMatchObject({ width: 2560, height: 2560 });
    fs.rmSync(input);
  });
});

describe("HEIC recognised by its bytes, whatever its name", () => {
  /** The smallest ISO-BMFF start the sniffer reads: an ftyp box with a major and compatible brands. */
  function ftyp(major: string, ...compatible: string[]): Buffer {
    const size = 16 + 4 * compatible.length;
    const box = Buffer.alloc(size);
    box.writeUInt32BE(size, 0);
    box.write("ftyp", 4, "latin1");
    box.write(major, 8, "latin1");
    compatible.forEach((brand, i) => box.write(brand, 16 + 4 * i, "latin1"));
    return box;
  }

  it("a bare ftyp 'heic' box is sniffed as HEIC and refused with the HEIC message", async () => {
    const bytes = Buffer.concat([ftyp("heic", "mif1", "heic"), randomBytes(256)]);
    expect(sniffFormat(bytes)).toBe("heic");
    expect(sniffFormat(ftyp("mif1", "heic"))).toBe("heic");
    expect(sniffFormat(ftyp("avif", "mif1", "avif"))).toBe("avif");
    const { store, root } = freshStore();
    const input = uploadTemp(bytes);
    const error = await refusal(processPhoto(input, store));
    expect(error.code).toBe("heic");
    expect(error.message).toBe(PHOTO_MESSAGES.heic);
    expect(filesIn(root)).toEqual([]);
    fs.rmSync(input);
  });
});

describe("the checks read the upload's file in pieces", () => {
  it("an HEIF whose image is HEVC-coded (hvcC box) is a HEIC even when its brands say avif", () => {
    const box = (type: string, body: Buffer) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(8 + body.length, 0);
      head.write(type, 4, "latin1");
      return Buffer.concat([head, body]);
    };
    const ftyp = box("ftyp", Buffer.from("avif\0\0\0\0avifmif1", "latin1"));
    expect(sniffFormat(Buffer.concat([ftyp, box("meta", box("hvcC", Buffer.alloc(23)))]))).toBe("heic");
    // The control: the same file with an AV1 configuration is an AVIF.
    expect(sniffFormat(Buffer.concat([ftyp, box("meta", box("av1C", Buffer.alloc(4)))]))).toBe("avif");
  });

  it("finds markup cut in two by the edge of a 1 MB piece, and nothing in a clean file", async () => {
    const MB = 1024 * 1024;
    const write = (bytes: Buffer) => {
      const file = path.join(tmpDir(), `markup-${randomBytes(6).toString("hex")}`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, bytes);
      return file;
    };
    const clean = Buffer.alloc(3 * MB, 0x41);
    for (const at of [MB - 3, MB - 7, MB, 2 * MB - 1]) {
      const dirty = Buffer.from(clean);
      dirty.write("<script", at, "latin1");
      expect(containsMarkup(dirty.subarray(0, MB)), `a piece alone misses it at ${at}`).toBe(at + 7 <= MB);
      const file = write(dirty);
      expect(await fileContainsMarkup(file), `at ${at}`).toBe(true);
      fs.rmSync(file);
    }
    // "<html" counts only with a delimiter after it, which may sit in the next piece.
    const split = Buffer.from(clean);
    split.write("<html", MB - 5, "latin1");
    split[MB] = 0x20;
    const file = write(split);
    expect(await fileContainsMarkup(file)).toBe(true);
    fs.rmSync(file);
    const cleanFile = write(clean);
    expect(await fileContainsMarkup(cleanFile)).toBe(false);
    fs.rmSync(cleanFile);
  });
});
