/**
 * Every rendition a photo can have besides its master, by kind: the one list the pipeline, the
 * storage rows (photo_rendition), the sweeper and the photo route (/photos/:id/:kind) read. A new
 * kind is one entry here; no column, no migration. "upload" kinds are made with the master; the
 * others the first time someone asks for them, from the master.
 *
 * "inside": the whole image, its longest side at most `size` (never enlarged).
 * "crop": exactly width × height (less for a small master), cut around the photo's focal point.
 */
export type RenditionSpec =
  | { fit: "inside"; size: number; quality: number; made: "upload" | "demand" }
  | { fit: "crop"; width: number; height: number; quality: number; made: "upload" | "demand" };

export const RENDITION_KINDS = {
  thumb: { fit: "inside", size: 400, quality: 75, made: "upload" },
  display: { fit: "inside", size: 1280, quality: 80, made: "upload" },
  // One crop per channel aspect, for the publishing queue.
  square: { fit: "crop", width: 1080, height: 1080, quality: 82, made: "demand" }, // 1:1
  portrait: { fit: "crop", width: 1080, height: 1350, quality: 82, made: "demand" }, // 4:5
  link: { fit: "crop", width: 1200, height: 628, quality: 82, made: "demand" }, // 1.91:1
  wide: { fit: "crop", width: 1280, height: 720, quality: 82, made: "demand" }, // 16:9
} as const satisfies Record<string, RenditionSpec>;

export type RenditionKind = keyof typeof RENDITION_KINDS;

export const UPLOAD_KINDS = (Object.keys(RENDITION_KINDS) as RenditionKind[]).filter((k) => RENDITION_KINDS[k].made === "upload");

export function isRenditionKind(name: string): name is RenditionKind {
  return Object.hasOwn(RENDITION_KINDS, name);
}

/** The master, kept as uploaded (upright, re-encoded): the source of every rendition. */
export const MASTER = { size: 2560, quality: 82 } as const;

/** A focal point, each coordinate in 0..1 from the left / top edge; the centre by default. */
export interface Focus {
  x: number;
  y: number;
}

/** A rectangle in whole pixels of the upright picture (sharp's extract region). */
export interface CropRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The part of a width × height image that a crop of `aspect` keeps (a ratio width:height, or a
 * number width / height): the largest box of that aspect that fits, centred on the focal point
 * as far as the picture allows (near an edge the box stops at the edge, so the focal point is
 * then off-centre). Whole pixels; the aspect is exact to within a pixel's rounding. The one
 * implementation: the renditions here and the publishing queue's crops both use it.
 */
export function cropRegion(width: number, height: number, aspect: number | { width: number; height: number }, focus: Focus): CropRegion {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid picture size ${width}×${height}`);
  }
  const ratio = typeof aspect === "number" ? { width: aspect, height: 1 } : aspect;
  if (!(ratio.width > 0 && ratio.height > 0 && Number.isFinite(ratio.width) && Number.isFinite(ratio.height))) {
    throw new RangeError(`invalid aspect ${JSON.stringify(aspect)}`);
  }
  for (const value of [focus.x, focus.y]) {
    if (!Number.isFinite(value) || value < 0 || value > 1) throw new RangeError(`focal point out of 0..1: ${focus.x},${focus.y}`);
  }
  let boxWidth: number;
  let boxHeight: number;
  if (width * ratio.height >= height * ratio.width) {
    // Wider than the aspect: full height, width cut.
    boxHeight = height;
    boxWidth = Math.max(1, Math.min(width, Math.round((height * ratio.width) / ratio.height)));
  } else {
    boxWidth = width;
    boxHeight = Math.max(1, Math.min(height, Math.round((width * ratio.height) / ratio.width)));
  }
  const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max);
  return {
    left: clamp(Math.round(focus.x * width - boxWidth / 2), width - boxWidth),
    top: clamp(Math.round(focus.y * height - boxHeight / 2), height - boxHeight),
    width: boxWidth,
    height: boxHeight,
  };
}
