import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { altField, editorReady, launch, newContext, recordErrors, signInAs, writeDraft, type Browser, type Page } from "./browser";

const baseUrl = inject("e2eBaseUrl");
const phone = { viewport: { width: 360, height: 740 }, hasTouch: true };
// The server runs in this process's time zone (UTC on CI); the browser is put on the other side of
// the world, so that a date formatted with the machine's zone differs between server and browser.
const serverZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const browserZone = serverZone === "Pacific/Auckland" ? "America/Los_Angeles" : "Pacific/Auckland";

let browser: Browser;
/** The agent's draft, with a photo without description. */
let draftId: number;
let draftTitle: string;
/** Sent to review, with an authorised photo and a comment (a draft takes none): comms has a notification about it. */
let sentId: number;

/** Loads a page and waits until React has hydrated it and had time to complain. */
async function visit(page: Page, path: string) {
  const response = await page.goto(path, { waitUntil: "networkidle" });
  expect(response?.status(), path).toBe(200);
  await page.waitForFunction(() => "__remixRouter" in window);
  await page.waitForTimeout(500);
}

/** Every id named by aria-describedby (and aria-labelledby, aria-controls, for, list) that is not on the page. */
function danglingReferences(page: Page) {
  return page.evaluate(() => {
    const missing: string[] = [];
    for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls", "for", "list"]) {
      for (const el of document.querySelectorAll(`[${attr}]`)) {
        for (const id of (el.getAttribute(attr) ?? "").split(/\s+/).filter(Boolean)) {
          if (!document.getElementById(id)) missing.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""} ${attr}="${id}"`);
        }
      }
    }
    return missing;
  });
}

/** The focused element, described for messages. */
function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { what: "body", id: "", inEditor: false, inViewport: false };
    const r = el.getBoundingClientRect();
    return {
      what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""} ${(el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40)}`,
      id: el.id,
      inEditor: Boolean(el.closest(".ProseMirror")),
      inViewport: r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth,
    };
  });
}

describe.skipIf(inject("e2eSkip"))("accessibility: hydration, focus, confirmation, contrast, references", () => {
  beforeAll(async () => {
    browser = await launch();
    const stamp = Date.now();
    const { context } = await newContext(browser, baseUrl);
    const agent = await context.newPage();
    await signInAs(context, "agent@demo.relais");

    draftTitle = `Brouillon accessible ${stamp}`;
    draftId = await writeDraft(agent, { title: draftTitle, photos: ["mobile-jolla.jpg"] });
    sentId = await writeDraft(agent, { title: `Contribution envoyée ${stamp}`, photos: ["orientation-landscape_1.jpg"] });
    await altField(agent, 1).fill("Une façade au soleil");
    await agent.getByRole("group", { name: "Photo 1", exact: true }).getByLabel("Droit à l'image").selectOption({ label: "Autorisation obtenue" });
    await agent.getByRole("group", { name: "Photo 1", exact: true }).getByLabel("Portée de l'autorisation").waitFor();
    // The scope select names only error messages that exist.
    expect(await danglingReferences(agent)).toEqual([]);
    await agent.getByRole("button", { name: "Envoyer en relecture" }).click();
    await agent.waitForURL(`**/contributions/${sentId}?done=submitted`);
    await agent.getByLabel("Votre commentaire", { exact: true }).fill("Un premier commentaire.");
    await agent.getByRole("button", { name: "Commenter" }).click();
    await agent.locator(".comment", { hasText: "Un premier commentaire." }).waitFor();
    await context.close();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it(`renders an agent's pages (dates too) the same on the server and in a browser in ${browserZone}: no hydration error`, async () => {
    const agentSession = await newContext(browser, baseUrl, { timezoneId: browserZone });
    const agent = await agentSession.context.newPage();
    await signInAs(agentSession.context, "agent@demo.relais");
    const agentErrors = recordErrors(agent);
    await visit(agent, `/contributions/${draftId}`);
    await visit(agent, `/contributions/${sentId}`);
    await expect(agent.locator(".comment time").count()).resolves.toBe(1);
    await expect(agent.getByRole("region", { name: "Historique" }).locator("time").count()).resolves.toBeGreaterThan(0);
    // Feeds' cards and search results are kept markup (the second load of each is): they hydrate the same, and their
    // plain links open in the page.
    for (const path of ["/", "/", "/?scope=organisation", "/my", "/my", "/search?q=atelier", "/search?q=atelier"]) await visit(agent, path);
    await expect(agent.locator("ul.feed mark").count()).resolves.toBeGreaterThan(0);
    await visit(agent, "/");
    await agent.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    const card = agent.locator("ul.feed h2 a").first();
    const cardHref = (await card.getAttribute("href"))!;
    await card.click();
    await agent.waitForURL((url) => url.pathname === cardHref);
    expect(await agent.evaluate(() => (window as unknown as { stayed?: boolean }).stayed === true)).toBe(true);
    // The menu's links are plain too: they open in the page, and the current one is marked.
    const menu = agent.getByRole("navigation", { name: "Navigation principale" });
    await menu.getByRole("link", { name: "Recherche" }).click();
    await agent.waitForURL((url) => url.pathname === "/search");
    expect(await agent.evaluate(() => (window as unknown as { stayed?: boolean }).stayed === true)).toBe(true);
    await expect(menu.locator('a[aria-current="page"]').textContent()).resolves.toBe("Recherche");
    await expect(menu.locator("a.active").count()).resolves.toBe(1);
    expect(agentErrors).toEqual([]);
    await agentSession.context.close();
  });

  // Comms' pages in their own test: each visit waits for the network to settle, and one test for both roles came
  // close to half the end-to-end timeout.
  it(`renders comms' pages the same on the server and in a browser in ${browserZone}: no hydration error`, async () => {
    const commsSession = await newContext(browser, baseUrl, { timezoneId: browserZone });
    const comms = await commsSession.context.newPage();
    await signInAs(commsSession.context, "comms@demo.relais");
    const commsErrors = recordErrors(comms);
    await visit(comms, `/review/${sentId}`);
    await editorReady(comms);
    await visit(comms, `/contributions/${sentId}`);
    await visit(comms, "/notifications");
    // An unread notification: its "mark as read" form, which must not sit inside a paragraph.
    await expect(comms.getByRole("button", { name: "Marquer comme lue" }).count()).resolves.toBeGreaterThan(0);
    await expect(comms.locator("p form").count()).resolves.toBe(0);
    // The time shown is the organisation's (Paris), whatever the browser's zone.
    const shown = await comms.locator("main time").first().evaluate((t) => ({ text: t.textContent, iso: t.getAttribute("datetime")! }));
    const paris = new Intl.DateTimeFormat("fr", { dateStyle: "medium", timeStyle: "short", timeZone: "Europe/Paris" }).format(new Date(shown.iso));
    expect(shown.text).toBe(paris);
    // The review inbox's rows and the publishing queue's rows and days are kept markup: they hydrate the same.
    for (const path of ["/review", "/review", "/publishing", "/publishing", "/publishing?view=week", "/publishing?view=month", "/publishing?view=month"]) await visit(comms, path);

    expect(commsErrors).toEqual([]);
    await commsSession.context.close();
  });

  it("after a refused submission at 360 px, puts the focus on the first invalid field, on screen and red", async () => {
    const { context } = await newContext(browser, baseUrl, phone);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    await page.goto("/contributions/new");
    await editorReady(page);
    const save = page.getByRole("button", { name: "Enregistrer le brouillon" });
    await save.focus();
    await page.keyboard.press("Enter");
    await page.locator('#f-title[aria-invalid="true"]').waitFor();
    await page.waitForFunction(() => document.activeElement?.id === "f-title", null, { timeout: 5_000 }).catch(() => {});
    const now = await focused(page);
    expect(now.id, now.what).toBe("f-title");
    expect(now.inViewport).toBe(true);
    const title = page.locator("#f-title");
    await expect(title.evaluate((el) => getComputedStyle(el).borderTopColor)).resolves.toBe("rgb(180, 35, 24)");
    // Its message is linked to it and exists.
    await expect(title.getAttribute("aria-describedby")).resolves.toBe("f-title-error");
    await expect(page.locator("#f-title-error").innerText()).resolves.toBe("Donnez un titre à la contribution.");
    expect(await danglingReferences(page)).toEqual([]);
    await context.close();
  });

  it("keeps the focus on the comment button after a comment is added, the field emptied", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    await page.goto(`/contributions/${sentId}`);
    await page.waitForFunction(() => "__remixRouter" in window);
    const field = page.getByLabel("Votre commentaire", { exact: true });
    await field.fill("Un deuxième commentaire.");
    await page.getByRole("button", { name: "Commenter" }).focus();
    await page.keyboard.press("Enter");
    await page.locator(".comment", { hasText: "Un deuxième commentaire." }).waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent === "Commenter", null, { timeout: 5_000 }).catch(() => {});
    const now = await focused(page);
    expect(now.what).toContain("Commenter");
    // Emptied once the submission is over (an effect after the render that shows the comment).
    await expect.poll(() => field.inputValue(), { timeout: 5_000 }).toBe("");
    // The editing fields of one's comments are told apart from the new comment's field.
    await expect(page.getByLabel("Votre commentaire", { exact: true }).count()).resolves.toBe(1);
    await expect(page.getByLabel(/^Modifier votre commentaire du /).count()).resolves.toBe(2);
    await context.close();
  });

  it("lets Tab and Shift+Tab leave a list item of the editor without changing the text; nesting is done with the toolbar", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    await page.goto("/contributions/new");
    const editor = await editorReady(page);
    await editor.click();
    await page.getByRole("button", { name: "Liste à puces", exact: true }).click();
    await page.keyboard.type("Premier point");
    await page.keyboard.press("Enter");
    await page.keyboard.type("Second point");
    const before = await editor.innerHTML();

    await page.keyboard.press("Tab");
    let now = await focused(page);
    expect(now.inEditor, now.what).toBe(false);
    expect(now.id).toBe("f-tags");
    expect(await editor.innerHTML()).toBe(before);

    await editor.locator("li").last().click();
    await page.keyboard.press("Shift+Tab");
    now = await focused(page);
    expect(now.inEditor, now.what).toBe(false);
    expect(await editor.innerHTML()).toBe(before);

    // The toolbar nests the second item, then takes it out again; not the first (nothing to nest it in).
    const indent = page.getByRole("button", { name: "Augmenter le retrait (sous-liste)" });
    const outdent = page.getByRole("button", { name: "Diminuer le retrait" });
    await editor.locator("li").first().click();
    await expect.poll(() => indent.getAttribute("aria-disabled")).toBe("true");
    await expect.poll(() => outdent.getAttribute("aria-disabled")).toBe("true");
    await editor.locator("li").last().click();
    await expect.poll(() => indent.getAttribute("aria-disabled")).toBeNull();
    await indent.click();
    await expect.poll(() => editor.locator("li li").count()).toBe(1);
    await expect.poll(() => outdent.getAttribute("aria-disabled")).toBeNull();
    await outdent.click();
    await expect.poll(() => editor.locator("li li").count()).toBe(0);
    await context.close();
  });

  it("asks before deleting a draft or a comment; dismissing keeps them", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    await page.goto(`/contributions/${draftId}`);
    await page.waitForFunction(() => "__remixRouter" in window);
    const asked: string[] = [];
    page.on("dialog", (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });

    await page.getByRole("button", { name: "Supprimer la contribution" }).click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toMatch(/^Supprimer définitivement cette contribution \?/);
    await page.waitForTimeout(500);
    expect(new URL(page.url()).pathname).toBe(`/contributions/${draftId}`);
    await page.goto("/my");
    await expect(page.getByRole("link", { name: draftTitle, exact: true }).count()).resolves.toBe(1);

    await page.goto(`/contributions/${sentId}`);
    await page.waitForFunction(() => "__remixRouter" in window);
    const comment = page.locator(".comment", { hasText: "Un premier commentaire." });
    await comment.locator("summary").click();
    await comment.getByRole("button", { name: "Supprimer" }).click();
    await expect.poll(() => asked.length).toBe(2);
    expect(asked[1]).toBe("Supprimer définitivement ce commentaire ?");
    await page.waitForTimeout(500);
    await page.reload();
    await expect(page.locator(".comment", { hasText: "Un premier commentaire." }).count()).resolves.toBe(1);
    await context.close();
  });

  it("draws a focus ring with a contrast of at least 3:1 against the background around links, buttons and fields", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    await page.goto("/contributions/new");
    await editorReady(page);
    // Keyboard modality, so that focusing from script shows :focus-visible as a Tab would.
    await page.keyboard.press("Tab");
    const targets = {
      "lien de navigation": page.getByRole("navigation", { name: "Navigation principale" }).getByRole("link", { name: "Fil", exact: true }),
      "bouton principal": page.getByRole("button", { name: "Enregistrer le brouillon" }),
      "champ texte": page.getByLabel("Titre", { exact: true }),
      "sélecteur de fichiers": page.locator("#photos"),
      "bouton de la barre d'outils": page.getByRole("button", { name: "Gras" }),
    };
    for (const [what, target] of Object.entries(targets)) {
      await target.focus();
      const ring = await target.evaluate((el) => {
        const rgb = (value: string) => (value.match(/[\d.]+/g) ?? []).map(Number);
        const luminance = ([r, g, b]: number[]) => {
          const c = [r, g, b].map((v) => {
            const s = v / 255;
            return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
        };
        const style = getComputedStyle(el);
        // The ring sits outside the element (positive offset): what is behind it is the parent's background.
        let behind: Element | null = parseFloat(style.outlineOffset) >= 0 ? el.parentElement : el;
        let background = "rgb(255, 255, 255)";
        for (; behind; behind = behind.parentElement) {
          const bg = getComputedStyle(behind).backgroundColor;
          const parts = rgb(bg);
          if (parts.length === 3 || (parts.length === 4 && parts[3] > 0)) {
            background = bg;
            break;
          }
        }
        const [l1, l2] = [luminance(rgb(style.outlineColor)), luminance(rgb(background))].sort((a, b) => b - a);
        return {
          focusVisible: el.matches(":focus-visible"),
          style: style.outlineStyle,
          width: parseFloat(style.outlineWidth),
          colour: style.outlineColor,
          background,
          contrast: (l1 + 0.05) / (l2 + 0.05),
        };
      });
      expect(ring.focusVisible, what).toBe(true);
      expect(ring.style, what).not.toBe("none");
      expect(ring.width, what).toBeGreaterThanOrEqual(2);
      expect(ring.contrast, `${what}: ${ring.colour} sur ${ring.background}`).toBeGreaterThanOrEqual(3);
    }
    await context.close();
  });

  it("names only ids that exist (aria-describedby and the like), names photo links and per-photo buttons, titles error pages", async () => {
    const { context } = await newContext(browser, baseUrl);
    const agent = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    for (const path of ["/contributions/new", `/contributions/${draftId}`, `/contributions/${draftId}/edit`, "/search", "/notifications"]) {
      await agent.goto(path);
      await agent.waitForFunction(() => "__remixRouter" in window);
      expect(await danglingReferences(agent), path).toEqual([]);
    }
    // The tag filter is a text field like the others.
    await agent.goto("/search");
    const [tag, q] = await Promise.all(
      ["#tag", "#q"].map((s) => agent.locator(s).evaluate((el) => ({ type: el.getAttribute("type"), height: el.getBoundingClientRect().height, border: getComputedStyle(el).borderTopColor }))),
    );
    expect(tag.type).toBe("text");
    expect(tag.height).toBe(q.height);
    expect(tag.border).toBe(q.border);
    // A link to a photo without description still says what it opens.
    await agent.goto(`/contributions/${draftId}`);
    await expect(agent.getByRole("link", { name: "Photo 1 en taille originale", exact: true }).count()).resolves.toBe(1);
    // Error pages say what happened in their title.
    await agent.goto("/nulle-part");
    await expect(agent.title()).resolves.toBe("Page introuvable · Relais");
    await agent.goto("/review");
    await expect(agent.title()).resolves.toBe("Accès refusé · Relais");

    const commsSession = await newContext(browser, baseUrl);
    const comms = await commsSession.context.newPage();
    await signInAs(commsSession.context, "comms@demo.relais");
    await comms.goto(`/review/${sentId}`);
    await editorReady(comms);
    expect(await danglingReferences(comms), "relecture").toEqual([]);
    await expect(comms.getByRole("button", { name: "Enregistrer le retrait de l'autorisation — photo 1" }).count()).resolves.toBe(1);
    // Refused decisions: their messages exist, and the focus goes to the field.
    await comms.getByRole("button", { name: "Demander des modifications" }).click();
    await comms.locator("#changes-error").waitFor();
    await comms.waitForFunction(() => document.activeElement?.id === "changes-message", null, { timeout: 5_000 }).catch(() => {});
    await expect(focused(comms).then((f) => f.id)).resolves.toBe("changes-message");
    expect(await danglingReferences(comms), "relecture, demande refusée").toEqual([]);
    await comms.goto(`/contributions/${sentId}`);
    await expect(comms.getByRole("link", { name: "Photo 1 en taille originale : Une façade au soleil", exact: true }).count()).resolves.toBe(1);
    await commsSession.context.close();
    await context.close();
  });
});
