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
export interface Focus {
  x: number;
  y: number;
}

export const CENTRE: Focus = { x: 0.5, y: 0.5 };

/** A rectangle in whole pixels of the upright picture (sharp's extract region). */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The largest box of `aspect` that fits a `width`×`height` picture, centred on `focus` as far as
 * the picture allows: near an edge the box stops at the edge rather than leave the picture, so
 * the focal point is then off-centre. Whole pixels; the aspect is exact to within a pixel's
 * rounding.
 */
export function cropBox(width: number, height: number, aspect: Aspect, focus: Focus = CENTRE): CropBox {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid picture size ${width}×${height}`);
  }
  if (!isAspect(aspect)) throw new RangeError(`unknown aspect ${String(aspect)}`);
  for (const value of [focus.x, focus.y]) {
    if (!Number.isFinite(value) || value < 0 || value > 1) throw new RangeError(`focal point out of 0..1: ${focus.x},${focus.y}`);
  }

  const ratio = ASPECTS[aspect];
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
