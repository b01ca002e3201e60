// Cuts a network's crop out of a stored photo with sharp. The box comes from cropBox (crops.ts),
// in the coordinates of the upright picture.

import sharp from "sharp";
import { MAX_INPUT_PIXELS } from "~/photos/pipeline.server";
import type { CropBox } from "./crops";

export type CropFormat = "jpeg" | "webp";

export interface CropOptions {
  /** Output width in pixels; never enlarged beyond the box's own width. */
  width: number;
  format: CropFormat;
  /** A network's byte limit (Bluesky: 1,000,000); quality, then size, go down until it fits. */
  maxBytes?: number;
}

export interface RenderedCrop {
  data: Buffer;
  width: number;
  height: number;
  format: CropFormat;
  mimeType: "image/jpeg" | "image/webp";
  quality: number;
}

export class CropTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`no crop of acceptable quality fits in ${maxBytes} bytes`);
    this.name = "CropTooLargeError";
  }
}

/** First try; JPEG is what Instagram's API takes, WebP matches the stored renditions. */
const START_QUALITY: Record<CropFormat, number> = { jpeg: 85, webp: 82 };
/** Below this, artefacts show on faces and text: shrink the picture instead. */
const MIN_QUALITY = 60;
const QUALITY_STEP = 8;
/** At least this much smaller at each try. */
const SCALE_STEP = 0.9;
/** Smallest width Instagram's API accepts; below it a crop is no longer worth posting. */
const MIN_WIDTH = 320;

/**
 * Renders `box` of the picture (a file's path, or its bytes as read from the storage): oriented upright first (the box is in upright
 * coordinates), cut, resized to `width`, encoded without any metadata (sharp keeps none unless
 * asked: no EXIF, no GPS, no ICC profile, pixels converted to sRGB). With `maxBytes`, the quality
 * goes down in steps to MIN_QUALITY, then the size at that quality, until the file fits;
 * CropTooLargeError below MIN_WIDTH.
 */
export async function renderCrop(input: string | Buffer, box: CropBox, options: CropOptions): Promise<RenderedCrop> {
  const { format, maxBytes } = options;
  if (!Number.isInteger(options.width) || options.width < 1) throw new RangeError(`invalid width ${options.width}`);
  if (maxBytes !== undefined && (!Number.isInteger(maxBytes) || maxBytes < 1)) throw new RangeError(`invalid maxBytes ${maxBytes}`);

  const decode = () => sharp(input, { failOn: "error", limitInputPixels: MAX_INPUT_PIXELS });
  const upright = (await decode().metadata()).autoOrient;
  if (
    box.left < 0 ||
    box.top < 0 ||
    box.width < 1 ||
    box.height < 1 ||
    box.left + box.width > upright.width ||
    box.top + box.height > upright.height
  ) {
    throw new RangeError(`crop box ${JSON.stringify(box)} outside a ${upright.width}×${upright.height} picture`);
  }

  // Decoded, oriented, cut and resized once; every encoding attempt starts from these pixels.
  const { data: pixels, info } = await decode()
    .autoOrient()
    .extract(box)
    .resize({ width: options.width, withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels };

  const encode = async (width: number, quality: number): Promise<RenderedCrop> => {
    let image = sharp(pixels, { raw });
    if (width < raw.width) image = image.resize({ width });
    const data =
      format === "jpeg"
        ? // JPEG has no transparency: a transparent background becomes white, not black.
          await image.flatten({ background: "#ffffff" }).jpeg({ quality }).toBuffer({ resolveWithObject: true })
        : await image.webp({ quality }).toBuffer({ resolveWithObject: true });
    return {
      data: data.data,
      width: data.info.width,
      height: data.info.height,
      format,
      mimeType: format === "jpeg" ? "image/jpeg" : "image/webp",
      quality,
    };
  };

  let quality = START_QUALITY[format];
  let rendered = await encode(raw.width, quality);
  if (maxBytes === undefined) return rendered;
  while (rendered.data.length > maxBytes && quality > MIN_QUALITY) {
    quality = Math.max(MIN_QUALITY, quality - QUALITY_STEP);
    rendered = await encode(raw.width, quality);
  }
  let width = raw.width;
  while (rendered.data.length > maxBytes) {
    // Bytes grow about with the pixel count: jump near the size that fits, then close in.
    const estimate = Math.floor(width * Math.sqrt(maxBytes / rendered.data.length) * 0.95);
    width = Math.min(estimate, Math.floor(width * SCALE_STEP));
    if (width < Math.min(MIN_WIDTH, raw.width)) throw new CropTooLargeError(maxBytes);
    rendered = await encode(width, quality);
  }
  return rendered;
}
