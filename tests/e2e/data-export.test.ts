import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readZip } from "../zip";
import { launch, newContext, signInAs, type Browser } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

describe.skipIf(inject("e2eSkip"))("Télécharger mes données in a real browser", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("asks for the archive, follows its progress until it is ready, downloads it: data.json and the photos' bytes", async () => {
    const { context, foreign } = await newContext(browser, baseUrl, { acceptDownloads: true });
    const page = await context.newPage();
    // Camille Martin of the demo: contributions with photos.
    await signInAs(context, "agent@demo.relais");
    await page.goto("/settings");
    await page.getByRole("link", { name: "Préparer l'archive de mes données" }).click();
    await page.waitForURL("**/account/export");
    await page.getByRole("button", { name: "Préparer l'archive de mes données" }).click();
    await page.waitForURL("**/account/export?requested");
    await page.getByText("Archive demandée").waitFor();

    // The page reloads itself while the worker builds it, then offers the file.
    const link = page.getByRole("link", { name: /^Télécharger l'archive \(\d/ });
    await link.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^relais-donnees-\d{4}-\d{2}-\d{2}\.zip$/);
    const zip = readZip(await fs.readFile((await download.path())!));

    const data = JSON.parse(zip.get("data.json")!.toString("utf8"));
    expect(data).toMatchObject({ format: "relais-export", version: 1, account: { email: "agent@demo.relais" } });
    expect(zip.get("README.txt")!.toString("utf8")).toContain("Vos données dans Relais");
    const photo = data.contributions.flatMap((c: { photos: { id: number; file: string }[] }) => c.photos)[0];
    expect(photo).toBeDefined();
    // The file in the archive is the photo's master, byte for byte, as the site serves it.
    const served = await page.request.get(`/photos/${photo.id}/master`);
    expect(served.status()).toBe(200);
    expect(zip.get(photo.file)!.equals(Buffer.from(await served.body()))).toBe(true);
    expect(foreign).toEqual([]);
    await context.close();
  });
});
