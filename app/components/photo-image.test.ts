import { rgbaToThumbHash, thumbHashToDataURL } from "thumbhash";
import { describe, expect, it, vi } from "vitest";

// The real decoder, counted: what matters is when the cache decodes again.
const decode = vi.hoisted(() => ({ calls: [] as string[] }));
vi.mock("thumbhash", async (original) => {
  const real = await original<typeof import("thumbhash")>();
  return {
    ...real,
    thumbHashToDataURL: (hash: Uint8Array) => {
      decode.calls.push(Buffer.from(hash).toString("base64"));
      return real.thumbHashToDataURL(hash);
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
  it("gives the ThumbHash's data URL, decoding each hash once while it is remembered", () => {
    const hash = hashOf(200, 40, 40);
    const expected = thumbHashToDataURL(Uint8Array.from(Buffer.from(hash, "base64")));
    decode.calls.length = 0;
    expect(placeholderDataUrl(hash)).toBe(expected);
    expect(placeholderDataUrl(hash)).toBe(expected);
    expect(expected).toMatch(/^data:image\/png;base64,/);
    expect(decode.calls).toEqual([hash]);
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
