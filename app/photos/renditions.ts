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

/**
 * The part of a width × height image that a crop of aspect `aspect` (width / height) keeps: as
 * large as possible, centred on the focal point as far as the edges allow.
 */
export function cropRegion(width: number, height: number, aspect: number, focus: Focus) {
  const cropWidth = Math.min(width, Math.max(1, Math.round(height * aspect)));
  const cropHeight = Math.min(height, Math.max(1, Math.round(cropWidth / aspect)));
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return {
    left: clamp(Math.round(focus.x * width - cropWidth / 2), width - cropWidth),
    top: clamp(Math.round(focus.y * height - cropHeight / 2), height - cropHeight),
    width: cropWidth,
    height: cropHeight,
  };
}
