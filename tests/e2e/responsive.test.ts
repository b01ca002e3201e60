import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { altField, editorReady, launch, newContext, signInAs, writeDraft, type Browser, type Page } from "./browser";

const baseUrl = inject("e2eBaseUrl");
const phone = { viewport: { width: 360, height: 740 }, hasTouch: true };
let browser: Browser;
/** An approved contribution (organisation-wide) with two photos, and one still waiting in review. */
let approvedId: number;
let approvedTitle: string;
let waitingId: number;

/** Writes a contribution with photos and alt texts and sends it; returns its id. */
async function submitWithPhotos(page: Page, title: string, text: string, photos: string[]) {
  const id = await writeDraft(page, { title, text, photos, wish: "Toute l'organisation" });
  for (let n = 1; n <= photos.length; n++) await altField(page, n).fill(`Photo ${n} de « ${title} »`);
  await page.getByRole("button", { name: "Envoyer en relecture" }).click();
  await page.waitForURL(`**/contributions/${id}?done=submitted`);
  return id;
}

/** The page's width overflow, with the elements sticking out past the viewport (for the message). */
async function overflow(page: Page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const culprits = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5 && el.getClientRects().length > 0)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className && typeof el.className === "string" ? `.${el.className.split(" ").join(".")}` : ""} → ${Math.round(el.getBoundingClientRect().right)}px`);
    return { scrollWidth: document.documentElement.scrollWidth, culprits };
  });
}

/** No horizontal scroll, and the main navigation (every link of it) on screen. */
async function expectFits(page: Page, what: string) {
  const { scrollWidth, culprits } = await overflow(page);
  expect(scrollWidth, `${what}: ${culprits.join(", ")}`).toBeLessThanOrEqual(360);
  const nav = page.getByRole("navigation", { name: "Navigation principale" });
  await expect(nav.isVisible(), what).resolves.toBe(true);
  const links = nav.getByRole("link");
  expect(await links.count(), what).toBeGreaterThanOrEqual(4);
  for (const link of await links.all()) {
    const box = await link.boundingBox();
    expect(box, `${what}: ${await link.innerText()}`).not.toBeNull();
    expect(box!.x, what).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, `${what}: ${await link.innerText()}`).toBeLessThanOrEqual(360);
  }
  await expect(page.locator("header a.bell").isVisible(), what).resolves.toBe(true);
}

describe.skipIf(inject("e2eSkip"))("on a phone, and with a keyboard", () => {
  beforeAll(async () => {
    browser = await launch();
    const stamp = Date.now();
    const author = await newContext(browser, baseUrl, phone);
    const agent = await author.context.newPage();
    await signInAs(author.context, "agent@demo.relais");
    approvedTitle = `Portes ouvertes de la médiathèque ${stamp}`;
    approvedId = await submitWithPhotos(
      agent,
      approvedTitle,
      "Le programme complet est en ligne : https://www.exemple-de-collectivite.fr/mediatheque/agenda/portes-ouvertes-du-samedi-matin-2026",
      ["orientation-landscape_1.jpg", "orientation-portrait_6.jpg"],
    );
    waitingId = await submitWithPhotos(agent, `Atelier numérique ${stamp}`, "Initiation aux tablettes pour les seniors.", ["mobile-jolla.jpg"]);
    await author.context.close();

    const reviewer = await newContext(browser, baseUrl);
    const comms = await reviewer.context.newPage();
    await signInAs(reviewer.context, "comms@demo.relais");
    await comms.goto(`/review/${approvedId}`);
    await editorReady(comms);
    await comms.getByRole("radio", { name: "Visible par toute l'organisation" }).check();
    await comms.getByRole("button", { name: "Approuver", exact: true }).click();
    await comms.waitForURL(`**/review/${approvedId}?done=approved`);
    await reviewer.context.close();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("at 360 × 740, the feed, the writing page, a contribution and the review pages fit the width, with the main navigation visible", async () => {
    const agentSession = await newContext(browser, baseUrl, phone);
    const agent = await agentSession.context.newPage();
    await signInAs(agentSession.context, "agent@demo.relais");

    for (const feed of ["/", "/?scope=organisation"]) {
      await agent.goto(feed);
      const card = agent.locator(".feed-card", { hasText: approvedTitle });
      await card.locator("img").evaluate((img: HTMLImageElement) => img.decode().catch(() => {}));
      await expectFits(agent, `fil ${feed}`);
    }

    await agent.goto("/contributions/new");
    await editorReady(agent);
    await expectFits(agent, "nouvelle contribution");
    // The editor's toolbar wraps rather than sticking out.
    const toolbar = await agent.getByRole("toolbar").boundingBox();
    expect(toolbar!.x + toolbar!.width).toBeLessThanOrEqual(360);

    await agent.goto(`/contributions/${approvedId}`);
    await agent.locator("article .gallery img").first().evaluate((img: HTMLImageElement) => img.decode().catch(() => {}));
    await expectFits(agent, "contribution");
    // Photos are scaled down to the screen.
    for (const img of await agent.locator("article .gallery img").all()) {
      const box = await img.boundingBox();
      expect(box!.width).toBeLessThanOrEqual(360);
    }

    await agent.goto("/my");
    await expectFits(agent, "mes contributions");

    const commsSession = await newContext(browser, baseUrl, phone);
    const comms = await commsSession.context.newPage();
    await signInAs(commsSession.context, "comms@demo.relais");
    await comms.goto("/review");
    await comms.getByRole("link", { name: /^Atelier numérique/ }).first().waitFor();
    await expectFits(comms, "à relire");
    await comms.goto(`/review/${waitingId}`);
    await editorReady(comms);
    await expectFits(comms, "relecture d'une contribution");

    expect([...agentSession.foreign, ...commsSession.foreign]).toEqual([]);
    await Promise.all([agentSession.context.close(), commsSession.context.close()]);
  });

  it("lets comms, on a phone and with the keyboard, read another department's feed with its department-only items", async () => {
    const { context, foreign } = await newContext(browser, baseUrl, phone);
    const page = await context.newPage();
    await signInAs(context, "comms@demo.relais");
    await page.goto("/");
    // The demo's department-only item of the Médiathèque is not in comms' own feed.
    const departmentOnly = "Nouveau créneau pour l'atelier numérique";
    await expect(page.locator(".feed-card", { hasText: departmentOnly }).count()).resolves.toBe(0);
    const chooser = page.getByLabel("Fil d'un service");
    await chooser.focus();
    await chooser.selectOption({ label: "Médiathèque" });
    await page.keyboard.press("Tab");
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Afficher");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\?department=\d+$/);
    await page.getByRole("heading", { name: "Service : Médiathèque" }).waitFor();
    await page.locator(".feed-card", { hasText: departmentOnly }).waitFor();
    await expectFits(page, "fil d'un autre service");
    expect(foreign).toEqual([]);
    await context.close();
  });

  it("lets a keyboard reach the e-mail field, the password and the button in order, each with a visible focus ring", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await page.goto("/login");
    await page.getByLabel("Adresse e-mail").waitFor();

    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        return {
          id: el.id,
          tag: el.tagName.toLowerCase(),
          text: (el.textContent ?? "").trim(),
          focusVisible: el.matches(":focus-visible"),
          outlineStyle: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth),
        };
      });

    // Skip link and brand come first; the e-mail field within a few Tabs.
    const before: string[] = [];
    let current = await focused();
    for (let i = 0; i < 6 && current?.id !== "f-email"; i++) {
      await page.keyboard.press("Tab");
      current = await focused();
      if (current && current.id !== "f-email") before.push(current.text || current.tag);
    }
    expect(current?.id, `focused before: ${before.join(" | ")}`).toBe("f-email");
    const order = [current!];
    await page.keyboard.press("Tab");
    order.push((await focused())!);
    await page.keyboard.press("Tab");
    order.push((await focused())!);
    expect(order.map((f) => f.id || f.text)).toEqual(["f-email", "f-password", "Se connecter"]);
    for (const f of order) {
      expect(f.focusVisible, f.id || f.text).toBe(true);
      expect(f.outlineStyle, f.id || f.text).not.toBe("none");
      expect(f.outlineWidth, f.id || f.text).toBeGreaterThan(0);
    }
    // The skip link, first stop of every page, shows itself when focused.
    await page.goto("/login");
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Aller au contenu" });
    await expect(skip.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    const box = await skip.boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    await context.close();
  });

  it("gives every image of a contribution and of the feed a text alternative", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent.sports@demo.relais");
    const alts = async () => page.locator("main img").evaluateAll((imgs) => imgs.map((i) => ({ src: i.getAttribute("src"), alt: i.getAttribute("alt") })));

    await page.goto(`/contributions/${approvedId}`);
    const onPage = await alts();
    expect(onPage).toHaveLength(2);
    for (const img of onPage) expect(img.alt?.trim(), img.src ?? "").toBeTruthy();
    expect(onPage.map((i) => i.alt)).toEqual([
      expect.stringMatching(/^Photo 1 de « Portes ouvertes/),
      expect.stringMatching(/^Photo 2 de « Portes ouvertes/),
    ]);
    // Every image of the whole page, header included.
    const all = await page.locator("img").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("alt") ?? ""));
    expect(all.every((a) => a.trim() !== "")).toBe(true);

    await page.goto("/?scope=organisation");
    await page.locator(".feed-card", { hasText: approvedTitle }).locator("img").waitFor();
    const inFeed = await alts();
    expect(inFeed.length).toBeGreaterThan(0);
    for (const img of inFeed) expect(img.alt?.trim(), img.src ?? "").toBeTruthy();
    await context.close();
  });

  it("labels every field of the writing form and of the edit page", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");

    /** Each field (and the editor's text area) with the accessible name it gets from the DOM. */
    const unlabelled = () =>
      page.evaluate(() => {
        const text = (el: Element | null) => (el?.textContent ?? "").trim();
        const fields = [...document.querySelectorAll<HTMLElement>("main input:not([type=hidden]), main select, main textarea, main [contenteditable=true]")];
        const named = fields.map((el) => {
          const labelledBy = (el.getAttribute("aria-labelledby") ?? "").split(/\s+/).filter(Boolean).map((id) => text(document.getElementById(id))).join(" ");
          const labels = "labels" in el && (el as HTMLInputElement).labels ? [...(el as HTMLInputElement).labels!].map(text).join(" ") : "";
          const name = (el.getAttribute("aria-label") ?? "").trim() || labelledBy || labels;
          return { field: `${el.tagName.toLowerCase()}[name=${el.getAttribute("name") ?? ""}]#${el.id}`, name };
        });
        return { count: fields.length, missing: named.filter((f) => !f.name).map((f) => f.field) };
      });

    await page.goto("/contributions/new");
    await editorReady(page);
    const fresh = await unlabelled();
    expect(fresh.missing).toEqual([]);
    expect(fresh.count).toBeGreaterThanOrEqual(8); // title, editor, tags, date, place, 2 radios, checkbox, photos
    // The same through the accessibility tree, for the main ones.
    for (const [role, name] of [
      ["textbox", "Titre"],
      ["textbox", "Texte"],
      ["textbox", "Mots-clés"],
      ["textbox", "Lieu"],
      ["radio", "Mon service"],
      ["radio", "Toute l'organisation"],
    ] as const) {
      await expect(page.getByRole(role, { name, exact: true }).count(), `${role} ${name}`).resolves.toBe(1);
    }
    await expect(page.getByRole("checkbox", { name: /publication externe/ }).count()).resolves.toBe(1);
    await expect(page.getByLabel("Photos", { exact: true }).getAttribute("type")).resolves.toBe("file");
    await expect(page.getByLabel("Date de l'événement").getAttribute("type")).resolves.toBe("date");

    // With a photo, the edit page adds its description, credit and rights fields: labelled too.
    await writeDraft(page, { title: `Étiquettes ${Date.now()}`, photos: ["Canon_40D.jpg"] });
    await editorReady(page);
    await page.getByRole("group", { name: "Photo 1", exact: true }).getByLabel("Droit à l'image").selectOption({ label: "Autorisation obtenue" });
    await page.getByLabel("Portée de l'autorisation").waitFor();
    const edit = await unlabelled();
    expect(edit.missing).toEqual([]);
    expect(edit.count).toBeGreaterThan(fresh.count);
    await context.close();
  });
});
