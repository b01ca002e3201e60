import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import exifr from "exifr";
import sharp from "sharp";
import { thumbHashToRGBA } from "thumbhash";
import { describe, expect, it } from "vitest";
import { env } from "~/env.server";
import { processPhoto, type PhotoErrorCode, type ProcessedPhoto } from "./pipeline.server";
import { MASTER, RENDITION_KINDS } from "./renditions";
import { createDiskStorage, tmpDir, type Storage } from "./storage.server";

import { blackPng, SAMPLE_PHOTOS as PHOTOS } from "../../tests/fixtures/photos";
import { refusal } from "../../tests/fixtures/photo-errors";
const photo = (name: string) => path.join(PHOTOS, name);

// Every real photo of the shared folder that is a photo we accept. invalid-image01137.jpg is in
// the list on purpose: despite its name (it comes from the "invalid" folder of a collection of
// EXIF samples, for its metadata) its pixels are intact and libjpeg decodes it without a single
// warning, so refusing it would refuse a good photo.
const VALID = fs
  .readdirSync(PHOTOS)
  .filter((name) => /\.jpe?g$/i.test(name) && name !== "corrupted.jpg")
  .sort();

/** A storage of its own in this file's uploads folder, to assert on exactly what a call left. */
function freshStore(): { store: Storage; root: string } {
  const root = path.join(env().UPLOADS_DIR, `store-${randomBytes(6).toString("hex")}`);
  return { store: createDiskStorage(root), root };
}

/** Every file under `dir`, temp names included. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}

async function listKeys(store: Storage): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.list()) keys.push(key);
  return keys.sort();
}

function readKey(root: string, key: string): Buffer {
  return fs.readFileSync(path.join(root, key));
}

/** Writes `data` as an upload temp file, the way parseUpload leaves it. */
function uploadTemp(data: Buffer): string {
  const file = path.join(tmpDir(), `upload-${randomBytes(8).toString("hex")}`);
  fs.writeFileSync(file, data);
  return file;
}

/** Longest side capped at `max`, never enlarged: what sharp's fit "inside" gives. */
function capped(width: number, height: number, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

function expectClose(actual: { width: number; height: number }, expected: { width: number; height: number }) {
  expect(Math.abs(actual.width - expected.width)).toBeLessThanOrEqual(1);
  expect(Math.abs(actual.height - expected.height)).toBeLessThanOrEqual(1);
}

/** Longest side of the master and of the renditions made at upload. */
const RENDITIONS = { master: MASTER, display: RENDITION_KINDS.display, thumb: RENDITION_KINDS.thumb };

const keyOf = (result: ProcessedPhoto, kind: "master" | "display" | "thumb") =>
  kind === "master" ? result.masterKey : result.renditions.find((r) => r.kind === kind)!.key;
const keysOf = (result: ProcessedPhoto) => [result.masterKey, ...result.renditions.map((r) => r.key)];

async function renditions(root: string, result: ProcessedPhoto) {
  expect(result.renditions.map((r) => r.kind).sort()).toEqual(["display", "thumb"]);
  return {
    master: readKey(root, result.masterKey),
    display: readKey(root, keyOf(result, "display")),
    thumb: readKey(root, keyOf(result, "thumb")),
  };
}

/** 16x12 greyscale pixels of an image, for comparing content rather than bytes. */
async function fingerprint(data: Buffer): Promise<Buffer> {
  return sharp(data).resize(16, 12, { fit: "fill" }).greyscale().raw().toBuffer();
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe("processPhoto on real camera and phone photos", () => {
  it.each(VALID)("%s: stores three upright WebP renditions named by their hash", async (name) => {
    const { store, root } = freshStore();
    const source = await sharp(photo(name)).metadata();
    const result = await processPhoto(photo(name), store);

    const upright = source.autoOrient; // dimensions once the EXIF orientation is applied
    const expected = capped(upright.width, upright.height, RENDITIONS.master.size);
    expectClose(result, expected);

    const files = await renditions(root, result);
    for (const [rendition, data] of Object.entries(files)) {
      // Content-addressed: the key is the sha256 of the bytes, under its 2-hex folder.
      const hash = createHash("sha256").update(data).digest("hex");
      expect(keyOf(result, rendition as keyof typeof files)).toBe(`photos/${hash.slice(0, 2)}/${hash}.webp`);
      expect(data.toString("latin1", 0, 4)).toBe("RIFF");
      expect(data.toString("latin1", 8, 12)).toBe("WEBP");
      const meta = await sharp(data).metadata();
      expect(meta.format).toBe("webp");
      const cap = RENDITIONS[rendition as keyof typeof RENDITIONS].size;
      expectClose({ width: meta.width, height: meta.height }, capped(expected.width, expected.height, cap));
      // What its row will record is what the file is.
      const made = result.renditions.find((r) => r.kind === rendition);
      if (made) expect(made).toMatchObject({ width: meta.width, height: meta.height, bytes: data.length });
    }
    expect(result.bytes).toBe(files.master.length);
    expect(await listKeys(store)).toEqual([...new Set(keysOf(result))].sort());

    // The placeholder is a real ThumbHash with the image's aspect.
    const placeholder = thumbHashToRGBA(Buffer.from(result.placeholder, "base64"));
    expect(placeholder.w).toBeGreaterThan(0);
    expect(Math.sign(placeholder.w - placeholder.h)).toBe(Math.sign(expected.width - expected.height));
  });

  it("processing the same photo twice gives the same keys (deduplicated files)", async () => {
    const { store } = freshStore();
    const first = await processPhoto(photo("gps-DSCN0010.jpg"), store);
    const second = await processPhoto(photo("gps-DSCN0010.jpg"), store);
    expect({ ...second, createdKeys: [] }).toEqual({ ...first, createdKeys: [] });
    // Only the first call created files; the second one's are shared, not its own to remove.
    expect(first.createdKeys.sort()).toEqual(keysOf(first).sort());
    expect(second.createdKeys).toEqual([]);
    expect(await listKeys(store)).toHaveLength(3);
  });
});

/** The chunks of a WebP file (RIFF container): VP8/VP8L/VP8X/ALPH hold pixels, EXIF/XMP /ICCP metadata. */
function webpChunks(data: Buffer): { fourcc: string; payload: Buffer }[] {
  expect(data.toString("latin1", 0, 4)).toBe("RIFF");
  expect(data.toString("latin1", 8, 12)).toBe("WEBP");
  const chunks: { fourcc: string; payload: Buffer }[] = [];
  for (let offset = 12; offset + 8 <= data.length; ) {
    const size = data.readUInt32LE(offset + 4);
    chunks.push({ fourcc: data.toString("latin1", offset, offset + 4), payload: data.subarray(offset + 8, offset + 8 + size) });
    offset += 8 + size + (size & 1);
  }
  return chunks;
}

/**
 * Everything exifr finds in a WebP. exifr cannot open WebP files itself ("Unknown file format"),
 * so its EXIF chunk (a TIFF structure) is handed to it directly; XMP and ICC chunks are reported as
 * they are.
 */
async function webpMetadata(data: Buffer): Promise<Record<string, unknown>> {
  const found: Record<string, unknown> = {};
  for (const { fourcc, payload } of webpChunks(data)) {
    if (fourcc === "EXIF") {
      const tiff = payload.toString("latin1", 0, 6) === "Exif\0\0" ? payload.subarray(6) : payload;
      Object.assign(found, { exif: true }, await exifr.parse(tiff, { gps: true, xmp: true, iptc: true }));
    } else if (fourcc === "XMP ") {
      found.xmp = payload.toString("utf8");
    } else if (fourcc === "ICCP") {
      found.icc = true;
    }
  }
  return found;
}

describe("no metadata survives", () => {
  const withMetadata = ["gps-DSCN0010.jpg", "gps-DSCN0021.jpg", "tests-45-gps_ifd.jpg", "xmp-no_exif.jpg", "Canon_40D.jpg", "mobile-jolla.jpg"];

  it("the samples really carry GPS and XMP, and the checks below would see them in a WebP", async () => {
    for (const name of ["gps-DSCN0010.jpg", "gps-DSCN0021.jpg"]) {
      const gps = await exifr.gps(photo(name));
      expect(gps?.latitude, name).toEqual(expect.any(Number));
    }
    // tests-45 has an EXIF block whose GPS IFD pointer (tag 0x8825, little-endian, type LONG) is
    // odd enough that exifr reports no coordinates: check the pointer itself.
    expect((await exifr.parse(photo("tests-45-gps_ifd.jpg")))?.Make).toEqual(expect.any(String));
    expect((await sharp(photo("tests-45-gps_ifd.jpg")).metadata()).exif?.includes(Buffer.from([0x25, 0x88, 0x04, 0x00]))).toBe(true);
    expect(fs.readFileSync(photo("xmp-no_exif.jpg")).includes("http://ns.adobe.com/xap")).toBe(true);
    // Positive control: a WebP written WITH metadata is caught by every check used below.
    const leaky = await sharp(photo("gps-DSCN0010.jpg")).keepMetadata().webp().toBuffer();
    const found = await webpMetadata(leaky);
    expect(found.latitude).toEqual(expect.any(Number));
    expect(found.xmp).toEqual(expect.stringContaining("xmpmeta"));
    expect(leaky.includes("xmpmeta")).toBe(true);
    expect(leaky.includes("Exif\0\0")).toBe(true);
    expect((await sharp(leaky).metadata()).exif).toBeDefined();
  });

  it.each(withMetadata)("%s: every rendition is free of EXIF, GPS, XMP, IPTC, ICC", async (name) => {
    const { store, root } = freshStore();
    const result = await processPhoto(photo(name), store);
    for (const [rendition, data] of Object.entries(await renditions(root, result))) {
      expect(await webpMetadata(data), `${name} ${rendition}`).toEqual({});
      // Only pixel chunks in the container.
      for (const { fourcc } of webpChunks(data)) expect(["VP8 ", "VP8L", "VP8X", "ALPH"], `${rendition} ${fourcc}`).toContain(fourcc);
      expect(data.includes("Exif\0\0"), rendition).toBe(false);
      expect(data.includes("http://ns.adobe.com/xap"), rendition).toBe(false);
      expect(data.includes("GPS"), rendition).toBe(false);
      expect(data.includes("xmpmeta"), rendition).toBe(false);
      const meta = await sharp(data).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.iptc).toBeUndefined();
      expect(meta.icc).toBeUndefined();
    }
  });
});

describe("orientation", () => {
  async function master(name: string) {
    const { store, root } = freshStore();
    const result = await processPhoto(photo(name), store);
    return { result, files: await renditions(root, result) };
  }

  it("landscape samples come out landscape and portrait_6 portrait, in every rendition", async () => {
    for (const name of ["orientation-landscape_1.jpg", "orientation-landscape_3.jpg", "orientation-landscape_6.jpg", "orientation-landscape_8.jpg"]) {
      const { result, files } = await master(name);
      expect(result.width, name).toBeGreaterThan(result.height);
      for (const data of Object.values(files)) {
        const meta = await sharp(data).metadata();
        expect(meta.width, name).toBeGreaterThan(meta.height);
        expect(meta.orientation).toBeUndefined();
      }
    }
    const { result, files } = await master("orientation-portrait_6.jpg");
    expect(result.height).toBeGreaterThan(result.width);
    for (const data of Object.values(files)) {
      const meta = await sharp(data).metadata();
      expect(meta.height).toBeGreaterThan(meta.width);
    }
  });

  it("rotated samples show the same picture as the upright one, pixel for pixel (roughly)", async () => {
    const reference = await fingerprint((await master("orientation-landscape_1.jpg")).files.master);
    // The threshold means something: the same picture upside down is far from it.
    const upsideDown = await fingerprint(await sharp((await master("orientation-landscape_1.jpg")).files.master).rotate(180).toBuffer());
    const wrong = meanAbsDiff(reference, upsideDown);
    expect(wrong).toBeGreaterThan(20);

    for (const name of ["orientation-landscape_3.jpg", "orientation-landscape_6.jpg", "orientation-landscape_8.jpg"]) {
      const { files } = await master(name);
      for (const data of [files.master, files.display, files.thumb]) {
        const diff = meanAbsDiff(reference, await fingerprint(data));
        expect(diff, name).toBeLessThan(8);
      }
    }
  });
});

describe("phone photos", () => {
  it.each([
    ["mobile-HMD_Nokia_8.3_5G.jpg", 4608, 1976],
    ["mobile-jolla.jpg", 3264, 2448],
  ])("%s is processed whole (%i x %i → capped master)", async (name, width, height) => {
    const { store, root } = freshStore();
    const result = await processPhoto(photo(name), store);
    const expected = capped(width, height, RENDITIONS.master.size);
    expectClose(result, expected);
    const files = await renditions(root, result);
    expectClose(await sharp(files.display).metadata(), capped(width, height, RENDITIONS.display.size));
    expectClose(await sharp(files.thumb).metadata(), capped(width, height, RENDITIONS.thumb.size));
    // Whole picture, not a crop: the master looks like the original scaled down.
    const original = await fingerprint(fs.readFileSync(photo(name)));
    expect(meanAbsDiff(original, await fingerprint(files.master))).toBeLessThan(4);
  });
});

/** A PNG of 14142 x 14142 1-bit grey pixels (200 MP) that weighs a few kilobytes. */
const pngBomb = () => blackPng(14142);

describe("bad inputs are refused and leave nothing behind", () => {
  const jpeg = () => fs.readFileSync(photo("orientation-landscape_1.jpg"));
  const cases: { label: string; code: PhotoErrorCode; make: () => Buffer | Promise<Buffer> }[] = [
    { label: "corrupted.jpg", code: "corrupt", make: () => fs.readFileSync(photo("corrupted.jpg")) },
    { label: "a truncated JPEG", code: "corrupt", make: () => jpeg().subarray(0, Math.floor(jpeg().length * 0.6)) },
    { label: "a 0-byte file", code: "empty", make: () => Buffer.alloc(0) },
    { label: "an iPhone HEIC", code: "heic", make: () => fs.readFileSync(photo("heic-IMG_5195.HEIC")) },
    {
      label: "an SVG with a script",
      code: "unsupported",
      make: () =>
        Buffer.from(
          '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>',
        ),
    },
    { label: "an HTML page renamed .jpg", code: "html", make: () => Buffer.from("<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n") },
    {
      label: "a PDF",
      code: "unsupported",
      make: () =>
        Buffer.from(
          "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        ),
    },
    { label: "a JPEG with HTML appended", code: "html", make: () => Buffer.concat([jpeg(), Buffer.from("<html><script>alert(1)</script></html>")]) },
    {
      label: "a JPEG with HTML then an end marker appended (to fool a last-FFD9 check)",
      code: "html",
      make: () => Buffer.concat([jpeg(), Buffer.from("<html><script>alert(1)</script></html>"), Buffer.from([0xff, 0xd9])]),
    },
    { label: "a JPEG with HTML in a comment segment", code: "html", make: () => withComment(jpeg(), "<SCRIPT>alert(1)</SCRIPT>") },
    { label: "a PNG decoding to 200 megapixels", code: "too_many_pixels", make: () => pngBomb() },
    { label: "a GIF", code: "unsupported", make: () => sharp({ create: { width: 32, height: 32, channels: 3, background: "#c33" } }).gif().toBuffer() },
    { label: "a TIFF", code: "unsupported", make: () => sharp({ create: { width: 32, height: 32, channels: 3, background: "#c33" } }).tiff().toBuffer() },
    { label: "random bytes", code: "unsupported", make: () => randomBytes(4096) },
  ];

  it.each(cases)("$label → $code", async ({ make, code }) => {
    const { store, root } = freshStore();
    const before = fs.readdirSync(tmpDir());
    const input = uploadTemp(await make());
    const error = await refusal(processPhoto(input, store));
    expect(error.code).toBe(code);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/\S/);
    expect(await listKeys(store)).toEqual([]);
    expect(filesUnder(root)).toEqual([]);
    // The input is the caller's to discard; nothing else was left next to it.
    expect(fs.readdirSync(tmpDir()).sort()).toEqual([...before, path.basename(input)].sort());
    fs.rmSync(input);
  });

  it("the 200 MP PNG is small on disk", () => {
    expect(pngBomb().length).toBeLessThan(100_000);
  });

  it("the HEIC refusal tells how to send a JPEG, in French", async () => {
    const error = await refusal(processPhoto(photo("heic-IMG_5195.HEIC"), freshStore().store));
    expect(error.message).toContain("JPEG");
    expect(error.message).toContain("Le plus compatible");
  });

  it("messages are the agreed French ones", async () => {
    const { store } = freshStore();
    const corrupt = await refusal(processPhoto(photo("corrupted.jpg"), store));
    expect(corrupt.message).toBe("L'image est abîmée ou incomplète. Réessayez l'envoi ou choisissez une autre photo.");
    const empty = await refusal(processPhoto(uploadTemp(Buffer.alloc(0)), store));
    expect(empty.message).toBe("Le fichier est vide.");
    const bomb = await refusal(processPhoto(uploadTemp(pngBomb()), store));
    expect(bomb.message).toBe("Cette image est trop grande (plus de 50 mégapixels).");
    const pdf = await refusal(processPhoto(uploadTemp(Buffer.from("%PDF-1.4\n%%EOF\n")), store));
    expect(pdf.message).toBe("Ce fichier n'est pas une image JPEG, PNG, WebP ou AVIF.");
  });

  it("a file over the upload limit is refused with 413", async () => {
    const big = uploadTemp(Buffer.alloc(env().MAX_UPLOAD_MB * 1024 * 1024 + 1, 0xff));
    const error = await refusal(processPhoto(big, freshStore().store));
    expect(error.code).toBe("too_large");
    expect(error.status).toBe(413);
    fs.rmSync(big);
  });

  it("sharp itself refuses SVG once the pipeline ran (decoders restricted process-wide)", async () => {
    await processPhoto(photo("Canon_40D.jpg"), freshStore().store);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    await expect(sharp(svg).metadata()).rejects.toThrow();
  });
});

/** Inserts a COM segment right after SOI. */
function withComment(jpeg: Buffer, text: string): Buffer {
  const body = Buffer.from(text, "latin1");
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, body, jpeg.subarray(2)]);
}

describe("accepted formats and legitimate oddities", () => {
  it.each(["png", "webp", "avif"] as const)("a %s photo is accepted", async (format) => {
    const { store, root } = freshStore();
    const source = sharp(photo("orientation-landscape_1.jpg"));
    const data = await (format === "png" ? source.png() : format === "webp" ? source.webp() : source.avif()).toBuffer();
    const result = await processPhoto(uploadTemp(data), store);
    expect(result).toMatchObject({ width: 600, height: 450 });
    const reference = await fingerprint(fs.readFileSync(photo("orientation-landscape_1.jpg")));
    expect(meanAbsDiff(reference, await fingerprint(readKey(root, result.masterKey)))).toBeLessThan(4);
  });

  it("a transparent PNG keeps its alpha", async () => {
    const { store, root } = freshStore();
    const data = await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 0, g: 128, b: 255, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const result = await processPhoto(uploadTemp(data), store);
    expect((await sharp(readKey(root, result.masterKey)).metadata()).hasAlpha).toBe(true);
  });

  it("a JPEG followed by binary data (an MPF preview, a motion-photo video) is accepted", async () => {
    // Phones and cameras append a second JPEG (MPF: iPhone HDR gain maps, camera previews) or a
    // video after the main image's end marker: that is not a reason to refuse.
    const { store } = freshStore();
    const jpeg = fs.readFileSync(photo("orientation-landscape_1.jpg"));
    const withPreview = Buffer.concat([jpeg, fs.readFileSync(photo("Canon_40D.jpg")), randomBytes(64 * 1024)]);
    const result = await processPhoto(uploadTemp(withPreview), store);
    expect(result).toMatchObject({ width: 600, height: 450 });
  });
});

describe("a failed write leaves nothing half-stored", () => {
  /** The disk storage, except that the n-th putBuffer fails. */
  function failingOn(n: number, inner: Storage): Storage {
    let calls = 0;
    return {
      ...inner,
      async putBuffer(key, data) {
        calls++;
        if (calls === n) throw new Error("disque plein");
        return inner.putBuffer(key, data);
      },
    };
  }

  it("removes what the call wrote", async () => {
    const { store, root } = freshStore();
    await expect(processPhoto(photo("gps-DSCN0021.jpg"), failingOn(2, store))).rejects.toThrow("disque plein");
    expect(await listKeys(store)).toEqual([]);
    expect(filesUnder(root)).toEqual([]);
  });

  it("keeps files that existed before (shared by another photo)", async () => {
    const { store } = freshStore();
    const earlier = await processPhoto(photo("gps-DSCN0021.jpg"), store);
    await expect(processPhoto(photo("gps-DSCN0021.jpg"), failingOn(2, store))).rejects.toThrow("disque plein");
    expect(await listKeys(store)).toEqual(keysOf(earlier).sort());
  });
});
