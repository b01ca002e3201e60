import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SAMPLE_PHOTOS, altField, editorReady, launch, newContext, signInAs, writeDraft, type Browser, type Page } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

/** The card of photo n (1-based) in the writing form. */
const card = (page: Page, n: number) => page.getByRole("group", { name: `Photo ${n}`, exact: true });

/** The texts of the elements an element's aria-describedby names. */
async function descriptions(page: Page, locator: ReturnType<Page["locator"]>) {
  const ids = ((await locator.getAttribute("aria-describedby")) ?? "").split(" ").filter(Boolean);
  return Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).innerText()));
}

async function startNew(page: Page, title: string, text: string) {
  await page.goto("/contributions/new");
  const editor = await editorReady(page);
  await page.getByLabel("Titre", { exact: true }).fill(title);
  await editor.click();
  await page.keyboard.type(text);
}

/** The status of a contribution in "my contributions", or null when it is not listed. */
async function statusInMyList(page: Page, title: string) {
  await page.goto("/my");
  const cardOf = page.locator(".feed-card", { has: page.getByRole("link", { name: title, exact: true }) });
  return (await cardOf.count()) ? cardOf.locator(".status").innerText() : null;
}

describe.skipIf(inject("e2eSkip"))("finishing a contribution in one go", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("describes chosen photos before any save, and sends for review in one action; a refusal keeps everything and stores nothing", async () => {
    const { context, foreign } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(page.context(), "agent@demo.relais");
    const title = `Fête du quartier ${Date.now()}`;
    await startNew(page, title, "Un après-midi de jeux dans le parc.");
    await page.locator("#photos").setInputFiles([`${SAMPLE_PHOTOS}/gps-DSCN0010.jpg`, `${SAMPLE_PHOTOS}/orientation-portrait_6.jpg`]);

    // Each chosen photo shows at once, previewed from the file, with its own fields.
    for (const n of [1, 2]) {
      const preview = card(page, n).locator("img");
      await expect(preview.getAttribute("src")).resolves.toMatch(/^blob:/);
      await expect.poll(() => preview.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
      await expect(card(page, n).getByLabel("Description de la photo (texte alternatif)").isVisible()).resolves.toBe(true);
      await expect(card(page, n).getByLabel("Crédit photo").isVisible()).resolves.toBe(true);
      await expect(card(page, n).getByLabel("Droit à l'image").isVisible()).resolves.toBe(true);
    }
    // Side by side with "save the draft".
    await expect(page.getByRole("button", { name: "Enregistrer le brouillon" }).isVisible()).resolves.toBe(true);

    const alt1 = "Des enfants jouent au chamboule-tout";
    await altField(page, 1).fill(alt1);
    await card(page, 1).getByLabel("Crédit photo").fill("Service des sports");
    await card(page, 1).getByLabel("Droit à l'image").selectOption({ label: "Autorisation obtenue" });
    await card(page, 1).getByLabel("Portée de l'autorisation").selectOption({ label: "Usage interne et externe" });
    await page.getByRole("button", { name: "Envoyer en relecture" }).click();

    // Refused: photo 2 has no description. The message is by its field, which has the focus.
    const missing = "Décrivez cette photo pour les personnes qui ne la voient pas (obligatoire).";
    await page.getByText(missing).waitFor();
    await expect(altField(page, 2).getAttribute("aria-invalid")).resolves.toBe("true");
    expect(await descriptions(page, altField(page, 2))).toContain(missing);
    await expect.poll(() => altField(page, 2).evaluate((e) => e === document.activeElement)).toBe(true);
    expect(new URL(page.url()).pathname).toBe("/contributions/new");
    // What was typed and chosen is all still there.
    await expect(page.getByLabel("Titre", { exact: true }).inputValue()).resolves.toBe(title);
    await expect(page.locator(".ProseMirror").innerText()).resolves.toContain("Un après-midi de jeux dans le parc.");
    await expect(altField(page, 1).inputValue()).resolves.toBe(alt1);
    await expect(card(page, 1).getByLabel("Crédit photo").inputValue()).resolves.toBe("Service des sports");
    await expect(card(page, 1).getByLabel("Portée de l'autorisation").inputValue()).resolves.toBe("external");
    await expect(page.locator("#photos").evaluate((i: HTMLInputElement) => [...(i.files ?? [])].map((f) => f.name))).resolves.toEqual([
      "gps-DSCN0010.jpg",
      "orientation-portrait_6.jpg",
    ]);
    // And nothing was stored.
    const check = await context.newPage();
    expect(await statusInMyList(check, title)).toBeNull();

    // Described: one click saves and sends.
    const alt2 = "Une enfant tient un ballon rouge";
    await altField(page, 2).fill(alt2);
    await page.getByRole("button", { name: "Envoyer en relecture" }).click();
    await page.waitForURL(/\/contributions\/\d+\?done=submitted$/);
    await page.getByRole("status").getByText("Contribution envoyée à l'équipe communication.").waitFor();
    const images = page.locator("article .gallery img");
    await expect(images.evaluateAll((imgs) => imgs.map((i) => i.getAttribute("alt")))).resolves.toEqual([alt1, alt2]);
    await expect(page.getByText("© Service des sports").isVisible()).resolves.toBe(true);
    expect(await statusInMyList(check, title)).toBe("En relecture");

    expect(foreign).toEqual([]);
    await context.close();
  });

  it("accepts the photos' fields in the same multipart request as the files, without JavaScript", async () => {
    const { context } = await newContext(browser, baseUrl, { javaScriptEnabled: false });
    const page = await context.newPage();
    await signInAs(page.context(), "agent@demo.relais");
    const title = `Sans script ${Date.now()}`;
    const response = await page.request.post("/contributions/new", {
      headers: { Origin: baseUrl },
      maxRedirects: 0,
      multipart: {
        title,
        bodyPlain: "Écrit sans JavaScript.",
        intent: "submit",
        photos: { name: "jolla.jpg", mimeType: "image/jpeg", buffer: fs.readFileSync(`${SAMPLE_PHOTOS}/mobile-jolla.jpg`) },
        "photo.new0.alt": "Un téléphone posé sur une table",
        "photo.new0.rightsStatus": "no_person",
      },
    });
    expect(response.status()).toBe(302);
    const location = response.headers()["location"];
    expect(location).toMatch(/^\/contributions\/\d+\?done=submitted$/);
    await page.goto(location);
    await expect(page.locator("article header .status").innerText()).resolves.toBe("En relecture");
    await expect(page.locator("article .gallery img").getAttribute("alt")).resolves.toBe("Un téléphone posé sur une table");
    await context.close();
  });

  it("names photo fields one way on the new, edit and review pages, with limits from the schema", async () => {
    const agentSession = await newContext(browser, baseUrl);
    const agent = await agentSession.context.newPage();
    await signInAs(agent.context(), "agent@demo.relais");
    await agent.goto("/contributions/new");
    await editorReady(agent);
    await agent.locator("#photos").setInputFiles(`${SAMPLE_PHOTOS}/mobile-jolla.jpg`);
    const names = (page: Page) => page.locator("form [name^='photo.']").evaluateAll((els) => els.map((e) => [e.getAttribute("name"), e.getAttribute("maxlength")]));
    await expect(names(agent)).resolves.toEqual([
      ["photo.new0.alt", "1000"],
      ["photo.new0.credit", "200"],
      ["photo.new0.rightsStatus", null],
    ]);
    await expect(agent.getByLabel("Titre", { exact: true }).getAttribute("maxlength")).resolves.toBe("200");
    await expect(agent.getByLabel("Lieu", { exact: true }).getAttribute("maxlength")).resolves.toBe("200");

    const title = `Noms des champs ${Date.now()}`;
    const id = await writeDraft(agent, { title, photos: ["mobile-jolla.jpg"] });
    const photoId = Number(/^photo\.(\d+)\.alt$/.exec((await altField(agent, 1).getAttribute("name")) ?? "")?.[1]);
    expect(photoId).toBeGreaterThan(0);
    await expect(names(agent)).resolves.toEqual([
      [`photo.${photoId}.alt`, "1000"],
      [`photo.${photoId}.credit`, "200"],
      [`photo.${photoId}.rightsStatus`, null],
    ]);
    await altField(agent, 1).fill("Un téléphone");
    await agent.getByRole("button", { name: "Envoyer en relecture" }).click();
    await agent.waitForURL(`**/contributions/${id}?done=submitted`);

    const commsSession = await newContext(browser, baseUrl);
    const comms = await commsSession.context.newPage();
    await signInAs(comms.context(), "comms@demo.relais");
    await comms.goto(`/review/${id}`);
    await editorReady(comms);
    await expect(names(comms)).resolves.toEqual([[`photo.${photoId}.alt`, "1000"]]);
    // The review page's description is saved under that name.
    await comms.locator(`[name="photo.${photoId}.alt"]`).fill("Un téléphone noir sur une table");
    await comms.getByRole("button", { name: "Enregistrer les corrections" }).click();
    await comms.getByRole("status").getByText("Corrections enregistrées.").waitFor();
    await expect(comms.locator(`[name="photo.${photoId}.alt"]`).inputValue()).resolves.toBe("Un téléphone noir sur une table");
    await Promise.all([agentSession.context.close(), commsSession.context.close()]);
  });

  it("from a contribution's page, a refused submission links straight to the first undescribed photo's field", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(page.context(), "agent@demo.relais");
    const id = await writeDraft(page, { title: `Lien vers les descriptions ${Date.now()}`, photos: ["mobile-jolla.jpg", "Canon_40D.jpg"] });
    await altField(page, 1).fill("Un téléphone");
    await page.getByRole("button", { name: "Enregistrer les modifications" }).click();
    await page.getByRole("status").getByText("Modifications enregistrées.").waitFor();
    const secondId = Number(/^photo\.(\d+)\.alt$/.exec((await altField(page, 2).getAttribute("name")) ?? "")?.[1]);

    await page.goto(`/contributions/${id}`);
    await page.getByRole("button", { name: "Envoyer en relecture" }).click();
    const link = page.getByRole("link", { name: "Décrire les photos" });
    await link.waitFor();
    await expect(link.getAttribute("href")).resolves.toBe(`/contributions/${id}/edit#photo-${secondId}-alt`);
    await link.click();
    await page.waitForURL(`**/contributions/${id}/edit#photo-${secondId}-alt`);
    await expect.poll(() => altField(page, 2).evaluate((e) => e === document.activeElement)).toBe(true);

    // Opened directly (a new page load), the focus lands there too.
    await page.goto(`/contributions/${id}/edit#photo-${secondId}-alt`);
    await editorReady(page);
    await expect.poll(() => altField(page, 2).evaluate((e) => e === document.activeElement)).toBe(true);
    await context.close();
  });

  it("says beside the external-publication boxes when a photo's rights forbid it, live, before any click", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(page.context(), "agent@demo.relais");
    const title = `Droits ${Date.now()}`;
    await startNew(page, title, "Un portrait.");
    const propose = page.getByRole("checkbox", { name: /Je propose cette contribution pour une publication externe/ });
    await expect(descriptions(page, propose)).resolves.toEqual([]);
    await page.locator("#photos").setInputFiles([`${SAMPLE_PHOTOS}/mobile-jolla.jpg`, `${SAMPLE_PHOTOS}/Canon_40D.jpg`]);
    await altField(page, 1).fill("Un téléphone");
    await altField(page, 2).fill("Un paysage");
    await card(page, 1).getByLabel("Droit à l'image").selectOption({ label: "Aucune personne identifiable" });
    await card(page, 2).getByLabel("Droit à l'image").selectOption({ label: "Autorisation refusée" });
    await expect.poll(async () => (await descriptions(page, propose)).join(" ")).toContain("Photo 2 : autorisation refusée");
    expect((await descriptions(page, propose)).join(" ")).not.toContain("Photo 1");
    await card(page, 2).getByLabel("Droit à l'image").selectOption({ label: "Autorisation obtenue" });
    await expect.poll(async () => (await descriptions(page, propose)).join(" ")).toContain("Photo 2 : autorisation limitée à l'usage interne");
    await card(page, 2).getByLabel("Portée de l'autorisation").selectOption({ label: "Usage interne et externe" });
    await expect.poll(async () => descriptions(page, propose)).toEqual([]);
    await card(page, 2).getByLabel("Droit à l'image").selectOption({ label: "Autorisation refusée" });
    await propose.check();
    await page.getByRole("button", { name: "Envoyer en relecture" }).click();
    await page.waitForURL(/\/contributions\/\d+\?done=submitted$/);
    const id = Number(/\/contributions\/(\d+)/.exec(page.url())![1]);

    // The review page says it by its box too, before approving.
    const commsSession = await newContext(browser, baseUrl);
    const comms = await commsSession.context.newPage();
    await signInAs(comms.context(), "comms@demo.relais");
    await comms.goto(`/review/${id}`);
    const eligible = comms.getByRole("checkbox", { name: "Éligible à la publication externe" });
    await expect(eligible.isChecked()).resolves.toBe(false);
    await expect((await descriptions(comms, eligible)).join(" ")).toContain("Photo 2 : autorisation refusée");
    await Promise.all([context.close(), commsSession.context.close()]);
  });

  it("offers no comment form nor thanks on a draft, which only its author sees", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(page.context(), "agent@demo.relais");
    const id = await writeDraft(page, { title: `Brouillon sans commentaires ${Date.now()}` });
    await page.goto(`/contributions/${id}`);
    await expect(page.locator("article header .status").innerText()).resolves.toBe("Brouillon");
    await expect(page.getByLabel("Votre commentaire", { exact: true }).count()).resolves.toBe(0);
    await expect(page.getByRole("button", { name: "Commenter" }).count()).resolves.toBe(0);
    await expect(page.getByRole("heading", { name: "Commentaires", exact: true }).count()).resolves.toBe(0);
    await expect(page.getByRole("button", { name: "Merci !" }).count()).resolves.toBe(0);

    // Once sent, the communication team sees it: comments open.
    await page.getByRole("button", { name: "Envoyer en relecture" }).click();
    await page.waitForURL(`**/contributions/${id}?done=submitted`);
    await page.getByRole("status").getByText("Contribution envoyée à l'équipe communication.").waitFor();
    await expect(page.getByLabel("Votre commentaire", { exact: true }).count()).resolves.toBe(1);
    await context.close();
  });
});
