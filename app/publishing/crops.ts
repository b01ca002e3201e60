import { cropRegion, type CropRegion, type Focus as PhotoFocus } from "~/photos/renditions";

// Crops per network around a focal point. Pure arithmetic, not server-only: the queue's crop
// editor can show the same box the server will cut. crops.server.ts does the cutting.

/**
 * The aspects networks ask for: 1:1 and 4:5 (Instagram's API takes 4:5 to 1.91:1; Facebook and
 * LinkedIn take all three), 1.91:1 (link previews, 1200×628), 16:9 (Mastodon previews at 16:9).
 */
export const ASPECTS = {
  "1:1": { width: 1, height: 1 },
  "4:5": { width: 4, height: 5 },
  "1.91:1": { width: 191, height: 100 },
  "16:9": { width: 16, height: 9 },
} as const;

export type Aspect = keyof typeof ASPECTS;

export const ASPECT_NAMES = Object.keys(ASPECTS) as Aspect[];

export function isAspect(value: unknown): value is Aspect {
  return typeof value === "string" && Object.hasOwn(ASPECTS, value);
}

/** A focal point as fractions of the upright picture's width and height, from its top-left corner. */
export type Focus = PhotoFocus;

export const CENTRE: Focus = { x: 0.5, y: 0.5 };

/** A rectangle in whole pixels of the upright picture (sharp's extract region). */
export type CropBox = CropRegion;

/**
 * The largest box of `aspect` that fits a `width`×`height` picture, centred on `focus` as far as
 * the picture allows: near an edge the box stops at the edge rather than leave the picture, so
 * the focal point is then off-centre. The arithmetic is the photos module's (cropRegion), so the
 * queue's crops and the stored renditions cut the same box.
 */
export function cropBox(width: number, height: number, aspect: Aspect, focus: Focus = CENTRE): CropBox {
  if (!isAspect(aspect)) throw new RangeError(`unknown aspect ${String(aspect)}`);
  return cropRegion(width, height, ASPECTS[aspect], focus);
}
