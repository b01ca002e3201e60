import exifr from "exifr";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launch, newContext, signInAs, type Browser, type Page } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

const CREDIT = "Collection exif-samples (CC BY-SA 4.0)";

/** The photos of a contribution found by a search: alt text, credit, and the URL of the master. */
async function photosOf(page: Page, query: string, title: string) {
  await page.goto(`/search?q=${encodeURIComponent(query)}`);
  await page.getByRole("link", { name: title, exact: true }).click();
  // A client-side navigation: the URL changes before the page has rendered.
  await page.getByRole("heading", { level: 1, name: title, exact: true }).waitFor();
  const figures = page.locator(".gallery figure");
  return figures.evaluateAll((list) =>
    list.map((f) => ({
      alt: f.querySelector("img")?.getAttribute("alt") ?? "",
      credit: f.querySelector("figcaption")?.textContent ?? "",
      master: f.querySelector("a")?.getAttribute("href") ?? "",
    })),
  );
}

/** The chunk names of a WebP file (RIFF): metadata would sit in "EXIF" and "XMP " chunks. */
function webpChunks(bytes: Buffer): string[] {
  const names: string[] = [];
  for (let at = 12; at + 8 <= bytes.length; at += 8 + bytes.readUInt32LE(at + 4) + (bytes.readUInt32LE(at + 4) % 2)) {
    names.push(bytes.toString("latin1", at, at + 4));
  }
  return names;
}

/**
 * Fetches a served image with the page's session, and what is left in its bytes: the metadata
 * sharp reads (EXIF, XMP, IPTC), and what exifr reads where it can (it does not read WebP, whose
 * chunks are listed instead).
 */
async function served(page: Page, url: string) {
  const response = await page.request.get(url);
  expect(response.status(), url).toBe(200);
  const bytes = await response.body();
  const meta = await sharp(bytes).metadata();
  const metadata = { exif: meta.exif, xmp: meta.xmp, iptc: meta.iptc, orientation: meta.orientation };
  const left =
    meta.format === "webp"
      ? webpChunks(bytes).filter((name) => name === "EXIF" || name === "XMP ")
      : await exifr.parse(bytes, { tiff: true, exif: true, gps: true, xmp: true, iptc: true, mergeOutput: true });
  return { format: meta.format, width: meta.width!, height: meta.height!, metadata, left };
}

describe.skipIf(inject("e2eSkip"))("the demo's photos", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("are real camera photos gone through the pipeline: upright, no EXIF or GPS left, alt text and credit filled in", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(page.context(), "comms@demo.relais");

    const outdoors = await photosOf(page, "plein air", "Lectures en plein air : retour en images");
    expect(outdoors.map((p) => p.alt)).toEqual([
      "Une allée du parc municipal : un banc sous un grand pin, une statue blanche sur son socle au fond",
      "Une maison de pierre au milieu des vignes et des pins, sur le coteau",
    ]);
    const hike = await photosOf(page, "cascade", "Randonnée du club : la cascade");
    expect(hike).toHaveLength(1);
    expect(hike[0].alt).toMatch(/^Une cascade/);

    for (const photo of [...outdoors, ...hike]) {
      expect(photo.credit).toBe(`© ${CREDIT}`);
      for (const kind of ["master", "display", "thumb"]) {
        const image = await served(page, photo.master.replace(/\/master$/, `/${kind}`));
        const what = `${photo.master} ${kind} (${image.format})`;
        expect(image.metadata, what).toEqual({ exif: undefined, xmp: undefined, iptc: undefined, orientation: undefined });
        expect(image.left ?? [], what).toEqual([]);
      }
    }
    // The camera's photos with GPS coordinates (640 × 480) are landscape; the waterfall was taken
    // 600 × 450 with "rotate 90°" in its EXIF: served upright, it is portrait.
    const park = await served(page, outdoors[0].master);
    expect([park.width, park.height]).toEqual([640, 480]);
    const waterfall = await served(page, hike[0].master);
    expect([waterfall.width, waterfall.height]).toEqual([450, 600]);
    await context.close();
  });
});
