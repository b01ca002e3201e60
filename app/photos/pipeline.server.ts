import { createHash } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import sharp, { type Metadata, type ResizeOptions, type Sharp, type SharpOptions } from "sharp";
import { rgbaToThumbHash } from "thumbhash";
import { env } from "~/env.server";
import { cropRegion, MASTER, RENDITION_KINDS, UPLOAD_KINDS, type Focus, type RenditionKind, type RenditionSpec } from "./renditions";
import { keyForHash, type Storage } from "./storage.server";

export type PhotoErrorCode =
  | "empty"
  | "too_large"
  | "form_too_large"
  | "too_many_files"
  | "unsupported"
  | "heic"
  | "corrupt"
  | "too_many_pixels"
  | "html";

/** A refusal to show to the agent as is (French message), with the HTTP status to answer with. */
export class PhotoError extends Error {
  constructor(
    public code: PhotoErrorCode,
    message: string,
    public status = code === "too_large" ? 413 : 400,
  ) {
    super(message);
    this.name = "PhotoError";
  }
}

export const PHOTO_MESSAGES = {
  empty: "Le fichier est vide.",
  unsupported: "Ce fichier n'est pas une image JPEG, PNG, WebP ou AVIF.",
  heic:
    "Les photos HEIC (format par défaut de l'iPhone) ne sont pas acceptées : envoyez-la en JPEG. " +
    "Sur iPhone, choisissez Réglages > Appareil photo > Formats > « Le plus compatible » pour les prochaines photos, " +
    "ou partagez celle-ci au format JPEG.",
  corrupt: "L'image est abîmée ou incomplète. Réessayez l'envoi ou choisissez une autre photo.",
  too_many_pixels: "Cette image est trop grande (plus de 50 mégapixels).",
  html: "Ce fichier contient du code (HTML ou script) et a été refusé. Envoyez une photo JPEG, PNG, WebP ou AVIF.",
} as const;

export function tooLargeMessage(maxMb: number | string): string {
  return `Le fichier dépasse ${maxMb} Mo.`;
}

/** A rendition's file as stored: what its photo_rendition row records. */
export interface RenditionFile {
  kind: RenditionKind;
  key: string;
  width: number;
  height: number;
  bytes: number;
}

/** What the caller stores in the `photo` row (and its renditions' rows) once the files are in place. */
export interface ProcessedPhoto {
  masterKey: string;
  /** The kinds made at upload (UPLOAD_KINDS). */
  renditions: RenditionFile[];
  /** Of the master, upright. */
  width: number;
  height: number;
  /** Size of the master file. */
  bytes: number;
  /** ThumbHash of the image, base64. */
  placeholder: string;
  /**
   * The keys this call created (the others already existed, shared with other photos): what to
   * remove if the caller then gives up, without touching files another upload relies on.
   */
  createdKeys: string[];
}

export const MAX_INPUT_PIXELS = 50_000_000;

/**
 * How strict the decoder is. 'error' refuses truncated files and hard decode errors (corrupted.jpg
 * among the sample photos). 'warning' (sharp's default) would also refuse real camera files that
 * only carry libjpeg's benign warnings, such as "extraneous bytes before marker".
 */
const FAIL_ON = "error" as const;

const decodeOptions: SharpOptions = { failOn: FAIL_ON, limitInputPixels: MAX_INPUT_PIXELS };

type Sniffed = "jpeg" | "png" | "webp" | "avif" | "heic" | "svg" | "unknown";

/** How much of the start of a file sniffFormat needs (HEIF's metadata comes first). */
export const SNIFF_BYTES = 64 * 1024;

/** The format told by the first bytes; the file name and Content-Type are never trusted. */
export function sniffFormat(bytes: Buffer): Sniffed {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return "png";
  }
  if (bytes.length >= 12 && bytes.toString("latin1", 0, 4) === "RIFF" && bytes.toString("latin1", 8, 12) === "WEBP") {
    return "webp";
  }
  if (bytes.length >= 16 && bytes.toString("latin1", 4, 8) === "ftyp") {
    // ISO-BMFF (HEIF). The codec configuration box of the image, in the metadata at the start,
    // says what it is coded with: an HEVC image is a HEIC whatever its brands claim.
    const hevc = bytes.includes("hvcC", 0, "latin1");
    const av1 = bytes.includes("av1C", 0, "latin1");
    if (hevc && !av1) return "heic";
    // Otherwise the major brand (8..12) then compatible brands (16..box end) tell AVIF from HEIC.
    const boxSize = Math.min(bytes.readUInt32BE(0), bytes.length, 4096);
    const brands = [bytes.toString("latin1", 8, 12)];
    for (let offset = 16; offset + 4 <= boxSize; offset += 4) brands.push(bytes.toString("latin1", offset, offset + 4));
    if (brands.some((brand) => brand === "avif" || brand === "avis")) return "avif";
    if (brands.some((brand) => HEIF_BRANDS.has(brand))) return "heic";
    return "unknown";
  }
  const head = bytes.toString("latin1", 0, 1024).replace(/^\uFEFF|^\xEF\xBB\xBF/, "").trimStart().toLowerCase();
  if (head.startsWith("<") && head.includes("<svg")) return "svg";
  return "unknown";
}

const HEIF_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1", "heif"]);

/**
 * Markup that makes a file a polyglot (an image that is also an HTML page or a script). Each
 * starts with "<" and is long enough, or needs a following delimiter, so that compressed image
 * data (random bytes) matches by chance about once in millions of 25 MB files; "<svg" alone is
 * left out for that reason (an SVG file is refused by its first bytes anyway).
 */
const MARKUP: { text: string; delimited: boolean }[] = [
  { text: "<script", delimited: false },
  { text: "<iframe", delimited: false },
  { text: "<!doctype", delimited: false },
  { text: "<object", delimited: false },
  { text: "<html", delimited: true },
  { text: "<head", delimited: true },
  { text: "<body", delimited: true },
  { text: "<embed", delimited: true },
  { text: "<?php", delimited: true },
];
const DELIMITERS = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0c, 0x3e /* > */, 0x2f /* / */]);

/**
 * Whether the bytes contain HTML or script markup anywhere, case-insensitively.
 *
 * The whole file is scanned rather than only what follows the JPEG end marker: real JPEGs carry
 * legitimate data after the main image's EOI (MPF previews and the HDR gain map of iPhone JPEGs,
 * the video of "motion photos"), so trailing bytes alone cannot be refused, and an attacker can
 * place an FFD9 after the markup to fool a "what follows the last FFD9" check.
 */
export function containsMarkup(bytes: Buffer): boolean {
  let at = bytes.indexOf(0x3c /* < */);
  while (at !== -1) {
    for (const { text, delimited } of MARKUP) {
      const end = at + text.length;
      if (end > bytes.length) continue;
      let matches = true;
      for (let i = 1; i < text.length; i++) {
        // ASCII lower-casing: letters only differ by 0x20.
        let byte = bytes[at + i];
        if (byte >= 0x41 && byte <= 0x5a) byte |= 0x20;
        if (byte !== text.charCodeAt(i)) {
          matches = false;
          break;
        }
      }
      if (matches && (!delimited || (end < bytes.length && DELIMITERS.has(bytes[end])))) return true;
    }
    at = bytes.indexOf(0x3c, at + 1);
  }
  return false;
}

/** containsMarkup over a file, read in chunks: the file is never held whole in memory. */
export async function fileContainsMarkup(path: string): Promise<boolean> {
  // Each chunk starts with the end of the previous one, enough for a marker cut in two.
  const overlap = Math.max(...MARKUP.map((m) => m.text.length)) + 1;
  let tail = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    const window = Buffer.concat([tail, chunk as Buffer]);
    if (containsMarkup(window)) return true;
    tail = window.subarray(Math.max(0, window.length - overlap));
  }
  return false;
}

/** The first `length` bytes of a file (fewer if it is shorter). */
async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await fsp.open(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

let decodersRestricted = false;

/**
 * Lets libvips open only the accepted formats, process-wide. The bytes are checked before sharp
 * sees them; this is the second lock, so that SVG (librsvg), PDF, TIFF, GIF and the rest can never
 * be parsed even if a check above were wrong. Other sharp users in this process only ever read
 * our own WebP renditions.
 */
function restrictDecoders(): void {
  if (decodersRestricted) return;
  sharp.block({ operation: ["VipsForeignLoad"] });
  sharp.unblock({ operation: ["VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp", "VipsForeignLoadHeif"] });
  // Uploads are decoded from their temporary file: keep no file open once done with it.
  sharp.cache({ files: 0 });
  decodersRestricted = true;
}

/** Every sharp failure becomes a PhotoError: a bad upload must never surface as a 500. */
function decodeError(error: unknown): PhotoError {
  if (error instanceof PhotoError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new PhotoError("too_many_pixels", PHOTO_MESSAGES.too_many_pixels);
  if (/unsupported image format|is blocked/i.test(message)) return new PhotoError("unsupported", PHOTO_MESSAGES.unsupported);
  return new PhotoError("corrupt", PHOTO_MESSAGES.corrupt);
}

const inside = (size: number): ResizeOptions => ({
  width: size,
  height: size,
  fit: "inside",
  withoutEnlargement: true,
});

interface Encoded {
  data: Buffer;
  key: string;
}

function encoded(data: Buffer): Encoded {
  return { data, key: keyForHash(createHash("sha256").update(data).digest("hex")) };
}

/**
 * Makes one rendition, as WebP, from `source` (a fresh sharp pipeline of a width × height image,
 * upright, each time it is called): the whole image fitted, or a crop around the focal point.
 */
export async function renderRendition(source: () => Sharp, width: number, height: number, spec: RenditionSpec, focus: Focus) {
  const image =
    spec.fit === "inside"
      ? source().resize(inside(spec.size))
      : source()
          .extract(cropRegion(width, height, spec.width / spec.height, focus))
          .resize({ width: spec.width, height: spec.height, fit: "fill", withoutEnlargement: true });
  const { data, info } = await image.webp({ quality: spec.quality }).toBuffer({ resolveWithObject: true });
  return { ...encoded(data), width: info.width, height: info.height };
}

/**
 * Checks an uploaded file, re-encodes it and stores its renditions; the caller then inserts the
 * `photo` row (files always exist before a row points at them). The upload itself is left to the
 * caller (discardTemps).
 *
 * The image is rotated upright from its EXIF orientation and re-encoded to WebP with no metadata
 * at all (no EXIF, GPS, XMP, IPTC, ICC: colours are converted to sRGB). Throws PhotoError on any
 * refusal; then nothing written by this call is left in `store`.
 */
export async function processPhoto(tmpPath: string, store: Storage): Promise<ProcessedPhoto> {
  restrictDecoders();

  const { size } = await fsp.stat(tmpPath);
  if (size === 0) throw new PhotoError("empty", PHOTO_MESSAGES.empty);
  const maxMb = env().MAX_UPLOAD_MB;
  if (size > maxMb * 1024 * 1024) throw new PhotoError("too_large", tooLargeMessage(maxMb), 413);

  // The upload stays on disk: checked in chunks, then decoded by libvips from the file.
  const format = sniffFormat(await readHead(tmpPath, SNIFF_BYTES));
  if (format === "heic") throw new PhotoError("heic", PHOTO_MESSAGES.heic);
  if (format === "svg") throw new PhotoError("unsupported", PHOTO_MESSAGES.unsupported);
  if (await fileContainsMarkup(tmpPath)) throw new PhotoError("html", PHOTO_MESSAGES.html);
  if (format === "unknown") throw new PhotoError("unsupported", PHOTO_MESSAGES.unsupported);

  // Header only: confirms what the bytes said and refuses oversized images before decoding.
  let metadata: Metadata;
  try {
    metadata = await sharp(tmpPath, decodeOptions).metadata();
  } catch (error) {
    throw decodeError(error);
  }
  const expected = format === "avif" ? "heif" : format;
  if (metadata.format !== expected) throw new PhotoError("unsupported", PHOTO_MESSAGES.unsupported);
  // An "avif" brand whose image is HEVC-coded is a HEIC in disguise.
  if (format === "avif" && metadata.compression !== "av1") throw new PhotoError("heic", PHOTO_MESSAGES.heic);
  if ((metadata.width ?? 0) * (metadata.height ?? 0) > MAX_INPUT_PIXELS) {
    throw new PhotoError("too_many_pixels", PHOTO_MESSAGES.too_many_pixels);
  }

  let renditions: { master: Encoded; made: (Encoded & { kind: RenditionKind; width: number; height: number })[]; placeholder: string; width: number; height: number };
  try {
    // Decode, orient and shrink once; the smaller renditions start from these master pixels
    // (already sRGB) instead of decoding the upload again.
    const { data: pixels, info } = await sharp(tmpPath, decodeOptions)
      .rotate()
      .resize(inside(MASTER.size))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: info.channels };
    const fromMaster = () => sharp(pixels, { raw });
    const centre = { x: 0.5, y: 0.5 };
    const [master, small, ...made] = await Promise.all([
      fromMaster().webp({ quality: MASTER.quality }).toBuffer(),
      // ThumbHash wants at most 100x100 RGBA.
      fromMaster().resize(inside(100)).ensureAlpha().raw().toBuffer({ resolveWithObject: true }),
      ...UPLOAD_KINDS.map(async (kind) => ({ kind, ...(await renderRendition(fromMaster, info.width, info.height, RENDITION_KINDS[kind], centre)) })),
    ]);
    const hash = rgbaToThumbHash(small.info.width, small.info.height, small.data);
    renditions = {
      master: encoded(master),
      made,
      placeholder: Buffer.from(hash).toString("base64"),
      width: info.width,
      height: info.height,
    };
  } catch (error) {
    throw decodeError(error);
  }

  const { master, made } = renditions;
  const createdKeys = await storeAll(store, [master, ...made]);
  return {
    createdKeys,
    masterKey: master.key,
    renditions: made.map(({ kind, key, width, height, data }) => ({ kind, key, width, height, bytes: data.length })),
    width: renditions.width,
    height: renditions.height,
    bytes: master.data.length,
    placeholder: renditions.placeholder,
  };
}

/**
 * Writes the renditions; on failure removes those this call created. A key that existed before
 * is left alone: content-addressed files are shared between photos. (Two uploads of the very same
 * image at the very same moment, one of which fails to write, could still remove the other's
 * file; the writes come last, so only a disk failure gets there.)
 */
async function storeAll(store: Storage, files: Encoded[]): Promise<string[]> {
  const unique = [...new Map(files.map((file) => [file.key, file])).values()];
  const existed = new Set<string>();
  const written: string[] = [];
  const results = await Promise.allSettled(
    unique.map(async (file) => {
      if (await store.exists(file.key)) existed.add(file.key);
      // Rewritten even when present: that refreshes its mtime, so the orphan sweeper does not
      // take it for an old orphan before our row is inserted.
      await store.putBuffer(file.key, file.data);
      written.push(file.key);
    }),
  );
  const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) {
    // allSettled, not all: every write has finished, so none lands after this cleanup.
    await Promise.allSettled(written.filter((key) => !existed.has(key)).map((key) => store.delete(key)));
    throw failure.reason;
  }
  return written.filter((key) => !existed.has(key));
}
