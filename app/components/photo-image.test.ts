import sharp from "sharp";
import { rgbaToThumbHash } from "thumbhash";
import { describe, expect, it, vi } from "vitest";

// The real decoder, counted: what matters is when the cache decodes again.
const decode = vi.hoisted(() => ({ calls: [] as string[] }));
vi.mock("thumbhash", async (original) => {
  const real = await original<typeof import("thumbhash")>();
  return {
    ...real,
    thumbHashToRGBA: (hash: Uint8Array) => {
      decode.calls.push(Buffer.from(hash).toString("base64"));
      return real.thumbHashToRGBA(hash);
    },
  };
});

const { placeholderDataUrl } = await import("./photo-image");

/** A valid ThumbHash (base64) of a small image of one colour. */
function hashOf(r: number, g: number, b: number): string {
  const rgba = new Uint8Array(8 * 8 * 4).map((_, i) => [r, g, b, 255][i % 4]);
  return Buffer.from(rgbaToThumbHash(8, 8, rgba)).toString("base64");
}

describe("photo placeholders", () => {
  it("gives a small PNG of the ThumbHash's colours, decoding each hash once while it is remembered", async () => {
    const hash = hashOf(200, 40, 40);
    decode.calls.length = 0;
    const url = placeholderDataUrl(hash)!;
    expect(placeholderDataUrl(hash)).toBe(url);
    expect(decode.calls).toEqual([hash]);
    expect(url).toMatch(/^data:image\/png;base64,/);
    expect(url.length).toBeLessThan(1200); // the 32 px PNG ThumbHash makes is ~4 KB
    const png = sharp(Buffer.from(url.slice("data:image/png;base64,".length), "base64"));
    const { width, height } = await png.metadata();
    expect(Math.max(width!, height!)).toBeLessThanOrEqual(12);
    const { channels } = await png.stats();
    expect(channels.slice(0, 3).map((c) => Math.round(c.mean / 10) * 10)).toEqual([200, 40, 40]);
  });

  it("keeps a long photo's proportions", async () => {
    const rgba = new Uint8Array(32 * 8 * 4).map((_, i) => [10, 120, 230, 255][i % 4]);
    const url = placeholderDataUrl(Buffer.from(rgbaToThumbHash(32, 8, rgba)).toString("base64"))!;
    const { width, height } = await sharp(Buffer.from(url.slice("data:image/png;base64,".length), "base64")).metadata();
    expect(width).toBeLessThanOrEqual(12);
    expect(width! / height!).toBeGreaterThanOrEqual(3); // 32 x 8: still four times as wide
  });

  it("gives nothing for a placeholder that is not base64", () => {
    expect(placeholderDataUrl("pas de l'base64 !")).toBeUndefined();
    expect(placeholderDataUrl("pas de l'base64 !")).toBeUndefined();
  });

  it("is bounded: past 1,000 hashes the least recently used is decoded again, a recently used one is not", () => {
    const [oldest, used] = [hashOf(1, 2, 3), hashOf(3, 2, 1)];
    placeholderDataUrl(oldest);
    placeholderDataUrl(used);
    const others = new Set<string>();
    for (let r = 0; others.size < 1000; r += 1) {
      const hash = hashOf(r % 256, Math.floor(r / 256) * 7, 90);
      if (hash !== oldest && hash !== used) others.add(hash);
    }
    [...others].forEach((hash, i) => {
      placeholderDataUrl(hash);
      if (i % 100 === 0) placeholderDataUrl(used); // kept in use
    });
    decode.calls.length = 0;
    placeholderDataUrl(used);
    expect(decode.calls).toEqual([]);
    placeholderDataUrl(oldest);
    expect(decode.calls).toEqual([oldest]);
  });
});
