import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SAMPLE_PHOTOS, altField, editorReady, launch, newContext, signInAs, writeDraft, type Browser } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

describe.skipIf(inject("e2eSkip"))("writing a contribution in a real browser", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("an agent writes a contribution with formatting and two photos, submits it, and finds it in 'my contributions'", async () => {
    const { context, foreign } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    const title = `Nuit de la lecture ${Date.now()}`;

    await page.goto("/contributions/new");
    const editor = await editorReady(page);
    await page.getByLabel("Titre", { exact: true }).fill(title);
    await expect(page.getByRole("textbox", { name: "Texte", exact: true }).count()).resolves.toBe(1);
    await editor.click();
    // Bold with the keyboard shortcut...
    await page.keyboard.type("Une soirée ");
    await page.keyboard.press("Control+b");
    await page.keyboard.type("exceptionnelle");
    await page.keyboard.press("Control+b");
    await page.keyboard.type(" à la médiathèque.");
    await page.keyboard.press("Enter");
    // ...a section heading and a bullet list with the toolbar.
    await page.getByRole("button", { name: "H2 : titre de section", exact: true }).click();
    await page.keyboard.type("Au programme");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Liste à puces", exact: true }).click();
    await page.keyboard.type("Lectures à voix haute");
    await page.keyboard.press("Enter");
    await page.keyboard.type("Atelier de reliure");
    await page.getByLabel("Mots-clés").fill("lecture, nuit");
    await page.getByLabel("Lieu").fill("Médiathèque centrale");
    await page.getByRole("radio", { name: "Toute l'organisation" }).check();
    await page.locator("#photos").setInputFiles([`${SAMPLE_PHOTOS}/gps-DSCN0010.jpg`, `${SAMPLE_PHOTOS}/orientation-portrait_6.jpg`]);
    await page.getByRole("button", { name: "Enregistrer le brouillon" }).click();
    await page.waitForURL(/\/contributions\/\d+\/edit\?done=created$/);
    const id = Number(/\/contributions\/(\d+)\//.exec(page.url())![1]);
    await page.getByRole("status").getByText("Brouillon enregistré").waitFor();

    // Both photos are there, each with its own details; describe them and send.
    const alts = ["Des enfants écoutent une lectrice assise sur un tapis", "Un atelier de reliure, vu de dessus"];
    await altField(page, 1).fill(alts[0]);
    await altField(page, 2).fill(alts[1]);
    await page.getByRole("group", { name: "Photo 1", exact: true }).getByLabel("Crédit photo").fill("Camille Martin");
    await page.getByRole("group", { name: "Photo 1", exact: true }).getByLabel("Droit à l'image").selectOption({ label: "Aucune personne identifiable" });
    await page.getByRole("button", { name: "Envoyer en relecture" }).click();
    await page.waitForURL(`**/contributions/${id}?done=submitted`);
    await page.getByRole("status").getByText("Contribution envoyée à l'équipe communication.").waitFor();
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe(title);

    // The text keeps its formatting.
    const prose = page.locator("article .prose");
    await expect(prose.locator("strong").innerText()).resolves.toBe("exceptionnelle");
    await expect(prose.locator("h2").innerText()).resolves.toBe("Au programme");
    await expect(prose.locator("ul > li").allInnerTexts()).resolves.toEqual(["Lectures à voix haute", "Atelier de reliure"]);
    const html = await prose.innerHTML();
    expect(html).toMatch(/<strong>exceptionnelle<\/strong>/);
    expect(html).not.toMatch(/<script|on\w+=/i);

    // Two display renditions, with the alt texts given.
    const images = page.locator("article .gallery img");
    await expect(images.count()).resolves.toBe(2);
    const shown = await images.evaluateAll((imgs) => imgs.map((i) => ({ src: i.getAttribute("src")!, alt: i.getAttribute("alt") })));
    expect(shown.map((s) => s.alt)).toEqual(alts);
    for (const s of shown) expect(s.src).toMatch(/^\/photos\/\d+\/display$/);
    // The images really load in the page.
    await images.first().scrollIntoViewIfNeeded();
    await expect.poll(() => images.first().evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
    await expect(page.getByText("© Camille Martin").isVisible()).resolves.toBe(true);

    // The served file is a clean WebP: no EXIF (no GPS) left in it.
    for (const s of shown) {
      const response = await page.request.get(s.src);
      expect(response.status()).toBe(200);
      expect(response.headers()["content-type"]).toBe("image/webp");
      const bytes = await response.body();
      expect(bytes.subarray(0, 4).toString("latin1")).toBe("RIFF");
      expect(bytes.subarray(8, 12).toString("latin1")).toBe("WEBP");
      expect(bytes.includes("Exif")).toBe(false);
      expect(bytes.includes("EXIF")).toBe(false);
    }

    // "Mes contributions" lists it, in review.
    await page.getByRole("navigation", { name: "Navigation principale" }).getByRole("link", { name: "Mes contributions" }).click();
    await page.waitForURL("**/my");
    const card = page.locator(".feed-card", { has: page.getByRole("link", { name: title, exact: true }) });
    await card.waitFor();
    await expect(card.count()).resolves.toBe(1);
    await expect(card.locator(".status").innerText()).resolves.toBe("En relecture");
    await expect(card.getByText("2 photos").isVisible()).resolves.toBe(true);

    expect(foreign).toEqual([]);
    await context.close();
  });

  it("refuses a damaged photo next to the photo field, and a submission with a photo lacking its description", async () => {
    const { context, foreign } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");

    // A damaged JPEG: a French message by the photo field, still on the new page.
    const title = `Photo abîmée ${Date.now()}`;
    await page.goto("/contributions/new");
    const editor = await editorReady(page);
    await page.getByLabel("Titre", { exact: true }).fill(title);
    await editor.click();
    await page.keyboard.type("Avec une photo illisible.");
    await page.locator("#photos").setInputFiles(`${SAMPLE_PHOTOS}/corrupted.jpg`);
    await page.getByRole("button", { name: "Enregistrer le brouillon" }).click();
    const photoError = page.locator("#photos-error");
    await photoError.waitFor();
    await expect(photoError.innerText()).resolves.toMatch(/abîmée/);
    await expect(photoError.getAttribute("role")).resolves.toBe("alert");
    await expect(page.locator("#photos").getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(page.locator("#photos").getAttribute("aria-describedby")).resolves.toContain("photos-error");
    expect(new URL(page.url()).pathname).toBe("/contributions/new");
    // What was typed is still there.
    await expect(page.getByLabel("Titre", { exact: true }).inputValue()).resolves.toBe(title);
    // And nothing was created.
    await page.goto("/my");
    await expect(page.getByRole("link", { name: title, exact: true }).count()).resolves.toBe(0);

    // A good photo, but no description: sending is refused with the alt-text message.
    const other = `Sans description ${Date.now()}`;
    const id = await writeDraft(page, { title: other, photos: ["mobile-jolla.jpg"] });
    await expect(altField(page, 1).inputValue()).resolves.toBe("");
    await page.getByRole("button", { name: "Envoyer en relecture" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "texte alternatif" });
    await alert.waitFor();
    await expect(alert.innerText()).resolves.toBe(
      "Ajoutez une description (texte alternatif) à la photo 1 : elle est obligatoire dès l'envoi en relecture.",
    );
    // And next to the photo's own description field, which is marked invalid.
    await expect(altField(page, 1).getAttribute("aria-invalid")).resolves.toBe("true");
    const describedBy = (await altField(page, 1).getAttribute("aria-describedby")) ?? "";
    const fieldErrors = await Promise.all(describedBy.split(" ").map((id) => page.locator(`[id="${id}"]`).innerText().catch(() => "")));
    expect(fieldErrors).toContain("Décrivez cette photo pour les personnes qui ne la voient pas (obligatoire).");
    expect(new URL(page.url()).pathname).toBe(`/contributions/${id}/edit`);
    await page.goto("/my");
    const card = page.locator(".feed-card", { has: page.getByRole("link", { name: other, exact: true }) });
    await expect(card.locator(".status").innerText()).resolves.toBe("Brouillon");

    expect(foreign).toEqual([]);
    await context.close();
  });
});
