import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { BLUESKY_MAX_IMAGE_BYTES } from "./bluesky.server";
import { ASPECTS, ASPECT_NAMES, cropBox, isAspect, type Aspect } from "./crops";
import { CropTooLargeError, renderCrop } from "./crops.server";

const photo = (name: string) => path.join("tests/fixtures/photos", name);

/** Mean absolute difference per channel value (0..255) between two pictures of the same size. */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const [left, right] = await Promise.all([a, b].map((image) => sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true })));
  expect(right.info.width).toBe(left.info.width);
  expect(right.info.height).toBe(left.info.height);
  let sum = 0;
  for (let i = 0; i < left.data.length; i++) sum += Math.abs(left.data[i] - right.data[i]);
  return sum / left.data.length;
}

describe("crop boxes", () => {
  it("the largest box of each aspect, centred by default", () => {
    expect(cropBox(4000, 3000, "1:1")).toEqual({ left: 500, top: 0, width: 3000, height: 3000 });
    expect(cropBox(4000, 3000, "4:5")).toEqual({ left: 800, top: 0, width: 2400, height: 3000 });
    expect(cropBox(4000, 3000, "1.91:1")).toEqual({ left: 0, top: 453, width: 4000, height: 2094 });
    expect(cropBox(4000, 3000, "16:9")).toEqual({ left: 0, top: 375, width: 4000, height: 2250 });
    // A portrait picture: 1.91:1 and 16:9 take the full width.
    expect(cropBox(3000, 4000, "16:9")).toEqual({ left: 0, top: 1156, width: 3000, height: 1688 });
    expect(cropBox(3000, 4000, "4:5")).toEqual({ left: 0, top: 125, width: 3000, height: 3750 });
  });

  it("every box keeps its aspect within a pixel and stays inside the picture", () => {
    for (const [width, height] of [
      [4608, 1976],
      [450, 600],
      [1, 1],
      [7, 1000],
      [1000, 7],
      [2560, 1707],
    ]) {
      for (const aspect of ASPECT_NAMES) {
        for (const focus of [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
          { x: 0.3, y: 0.8 },
        ]) {
          const box = cropBox(width, height, aspect, focus);
          expect(box.left).toBeGreaterThanOrEqual(0);
          expect(box.top).toBeGreaterThanOrEqual(0);
          expect(box.left + box.width).toBeLessThanOrEqual(width);
          expect(box.top + box.height).toBeLessThanOrEqual(height);
          expect(box.width === width || box.height === height).toBe(true);
          const { width: w, height: h } = ASPECTS[aspect];
          if (box.width > 1 && box.height > 1) expect(Math.abs(box.width - (box.height * w) / h)).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it("centres on the focal point, and stops at the edge when the point is near a corner", () => {
    // Room to centre: the focal point is the box's centre.
    expect(cropBox(4000, 3000, "1:1", { x: 0.6, y: 0.5 })).toEqual({ left: 900, top: 0, width: 3000, height: 3000 });
    expect(cropBox(4000, 3000, "16:9", { x: 0.5, y: 0.45 })).toEqual({ left: 0, top: 225, width: 4000, height: 2250 });
    // Top-left corner: the box is pushed back against both edges.
    expect(cropBox(4000, 3000, "4:5", { x: 0, y: 0 })).toEqual({ left: 0, top: 0, width: 2400, height: 3000 });
    expect(cropBox(3000, 4000, "1:1", { x: 0.02, y: 0.03 })).toEqual({ left: 0, top: 0, width: 3000, height: 3000 });
    // Bottom-right corner.
    expect(cropBox(4000, 3000, "4:5", { x: 1, y: 1 })).toEqual({ left: 1600, top: 0, width: 2400, height: 3000 });
    expect(cropBox(3000, 4000, "16:9", { x: 1, y: 1 })).toEqual({ left: 0, top: 2312, width: 3000, height: 1688 });
  });

  it("refuses sizes, aspects and focal points that make no sense", () => {
    expect(() => cropBox(0, 100, "1:1")).toThrow(RangeError);
    expect(() => cropBox(100.5, 100, "1:1")).toThrow(RangeError);
    expect(() => cropBox(100, 100, "3:2" as Aspect)).toThrow(RangeError);
    expect(() => cropBox(100, 100, "1:1", { x: 1.2, y: 0.5 })).toThrow(RangeError);
    expect(() => cropBox(100, 100, "1:1", { x: Number.NaN, y: 0.5 })).toThrow(RangeError);
    expect(isAspect("4:5")).toBe(true);
    expect(isAspect("toString")).toBe(false);
  });
});

describe("rendering a crop with sharp", () => {
  it("crops the upright picture of an EXIF-rotated photo (orientation 6), like the same photo stored upright", async () => {
    // The landscape_N samples are one picture stored N ways; landscape_1 needs no rotation.
    const upright = await sharp(photo("orientation-landscape_6.jpg")).metadata();
    expect(upright.orientation).toBe(6);
    expect([upright.width, upright.height]).toEqual([450, 600]); // as stored, before rotation
    const box = cropBox(600, 450, "1:1", { x: 0.8, y: 0.5 });
    expect(box).toEqual({ left: 150, top: 0, width: 450, height: 450 });

    const [rotated, reference, halfTurn] = await Promise.all([
      renderCrop(photo("orientation-landscape_6.jpg"), box, { width: 300, format: "jpeg" }),
      renderCrop(photo("orientation-landscape_1.jpg"), box, { width: 300, format: "jpeg" }),
      renderCrop(photo("orientation-landscape_3.jpg"), box, { width: 300, format: "jpeg" }),
    ]);
    expect([rotated.width, rotated.height]).toEqual([300, 300]);
    expect(await difference(rotated.data, reference.data)).toBeLessThan(6);
    expect(await difference(halfTurn.data, reference.data)).toBeLessThan(6);
    // The metric tells pictures apart: a square of the stored, unrotated pixels is far off.
    const sideways = await sharp(photo("orientation-landscape_6.jpg")).extract({ left: 0, top: 150, width: 450, height: 450 }).resize(300).png().toBuffer();
    expect(await difference(rotated.data, sideways)).toBeGreaterThan(20);

    const written = await sharp(rotated.data).metadata();
    expect(written.format).toBe("jpeg");
    expect(written.orientation).toBeUndefined();
    expect(written.exif).toBeUndefined();
    expect(written.xmp).toBeUndefined();
  });

  it("a focal point in a corner gives that corner of the picture, at the requested width and aspect", async () => {
    const file = photo("mobile-HMD_Nokia_8.3_5G.jpg"); // 4608×1976
    const box = cropBox(4608, 1976, "4:5", { x: 1, y: 0 });
    expect(box).toEqual({ left: 3027, top: 0, width: 1581, height: 1976 });
    const crop = await renderCrop(file, box, { width: 400, format: "webp" });
    expect(crop.mimeType).toBe("image/webp");
    expect((await sharp(crop.data).metadata()).format).toBe("webp");
    expect([crop.width, crop.height]).toEqual([400, 500]);

    const corner = await sharp(file).extract(box).resize({ width: 400 }).png().toBuffer();
    const centred = await sharp(file).extract(cropBox(4608, 1976, "4:5")).resize({ width: 400 }).png().toBuffer();
    const sameRegion = await difference(crop.data, corner);
    expect(sameRegion).toBeLessThan(4);
    expect(await difference(crop.data, centred)).toBeGreaterThan(3 * sameRegion);
  });

  it("never enlarges a box smaller than the requested width", async () => {
    const crop = await renderCrop(photo("Canon_40D.jpg"), cropBox(100, 68, "1:1"), { width: 1080, format: "jpeg" });
    expect([crop.width, crop.height]).toEqual([68, 68]);
  });

  it("under a byte limit, lowers the quality first, then the size", async () => {
    const file = photo("mobile-HMD_Nokia_8.3_5G.jpg"); // 4608×1976
    const box = cropBox(4608, 1976, "16:9");
    const width = 2048; // networks show no more (Bluesky resizes to 2000)
    const unbounded = await renderCrop(file, box, { width, format: "jpeg" });
    expect([unbounded.width, unbounded.quality]).toEqual([width, 85]);

    // Already within Bluesky's limit: left as it is.
    const bluesky = await renderCrop(file, box, { width, format: "jpeg", maxBytes: BLUESKY_MAX_IMAGE_BYTES });
    expect(unbounded.data.length).toBeLessThan(BLUESKY_MAX_IMAGE_BYTES);
    expect(bluesky.data.equals(unbounded.data)).toBe(true);

    const quarterLess = Math.floor(unbounded.data.length * 0.75);
    const lowerQuality = await renderCrop(file, box, { width, format: "jpeg", maxBytes: quarterLess });
    expect(lowerQuality.data.length).toBeLessThanOrEqual(quarterLess);
    expect(lowerQuality.quality).toBeLessThan(85);
    expect(lowerQuality.width).toBe(width);

    const tight = await renderCrop(file, box, { width, format: "jpeg", maxBytes: 60_000 });
    expect(tight.data.length).toBeLessThanOrEqual(60_000);
    expect(tight.quality).toBe(60);
    expect(tight.width).toBeLessThan(width);
    expect(Math.abs(tight.width / tight.height - 16 / 9)).toBeLessThan(0.01);
    const written = await sharp(tight.data).metadata();
    expect([written.format, written.width, written.height]).toEqual(["jpeg", tight.width, tight.height]);

    await expect(renderCrop(file, box, { width, format: "jpeg", maxBytes: 2_000 })).rejects.toBeInstanceOf(CropTooLargeError);
  });

  it("fits Bluesky's 1,000,000 bytes with a picture that is over it at every quality", async () => {
    // Noise does not compress: the only way under the limit is fewer pixels.
    const dir = await mkdtemp(path.join(tmpdir(), "relais-crop-"));
    try {
      const noisy = path.join(dir, "noise.png");
      const size = 2000;
      await sharp(randomBytes(size * size * 3), { raw: { width: size, height: size, channels: 3 } }).png().toFile(noisy);
      const box = cropBox(size, size, "4:5", { x: 0.2, y: 0.5 });
      const unbounded = await renderCrop(noisy, box, { width: box.width, format: "jpeg" });
      expect(unbounded.data.length).toBeGreaterThan(BLUESKY_MAX_IMAGE_BYTES);
      const fitted = await renderCrop(noisy, box, { width: box.width, format: "jpeg", maxBytes: BLUESKY_MAX_IMAGE_BYTES });
      expect(fitted.data.length).toBeLessThanOrEqual(BLUESKY_MAX_IMAGE_BYTES);
      expect(fitted.quality).toBe(60);
      expect(fitted.width).toBeLessThan(box.width);
      expect(fitted.width).toBeGreaterThanOrEqual(320);
      expect(Math.abs(fitted.width / fitted.height - 0.8)).toBeLessThan(0.01);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a box outside the upright picture", async () => {
    // 600×450 once upright, although stored 450×600.
    await expect(
      renderCrop(photo("orientation-landscape_6.jpg"), { left: 0, top: 0, width: 450, height: 600 }, { width: 100, format: "jpeg" }),
    ).rejects.toThrow(RangeError);
  });
});
