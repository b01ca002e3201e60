import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { editorReady, launch, newContext, signInAs, type Browser, type Page } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

/** Whether the focus is in the editable text. */
const focusInEditor = (page: Page) => page.evaluate(() => Boolean(document.activeElement?.closest(".ProseMirror")));

describe.skipIf(inject("e2eSkip"))("links in the editor: an accessible dialog, not the browser's prompt", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("opens with Ctrl+K and the toolbar button, refuses other schemes beside the field, cancels with Escape, returns the focus", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    const native: string[] = [];
    page.on("dialog", (d) => {
      native.push(d.type());
      void d.dismiss();
    });
    await signInAs(page.context(), "agent@demo.relais");
    await page.goto("/contributions/new");
    const editor = await editorReady(page);
    await editor.click();
    await page.keyboard.type("Le programme complet");
    await page.keyboard.press("Shift+Home");
    // Under load the editor may not have taken the selection yet: wait for it before Ctrl+K.
    await expect.poll(() => page.evaluate(() => window.getSelection()?.toString())).toBe("Le programme complet");
    // ...and for the editor's own state to have read it (tiptap puts the editor on its element).
    await expect
      .poll(() =>
        page.evaluate(() => {
          const el = document.querySelector(".ProseMirror") as (Element & { editor?: { state: { selection: { from: number; to: number } } } }) | null;
          const selection = el?.editor?.state.selection;
          return selection ? selection.to - selection.from : 0;
        }),
      )
      .toBe("Le programme complet".length);

    // Ctrl+K: a modal dialog whose address field has the focus.
    await page.keyboard.press("Control+k");
    const dialog = page.getByRole("dialog", { name: "Lien" });
    await dialog.waitFor({ timeout: 5_000 });
    const field = dialog.getByLabel("Adresse du lien");
    await expect.poll(() => field.evaluate((el) => el === document.activeElement)).toBe(true);
    await expect(dialog.evaluate((d) => (d as HTMLDialogElement).open && d.matches(":modal"))).resolves.toBe(true);

    // A scheme that is not allowed: refused beside the field, the dialog stays open.
    await field.fill("javascript:alert(1)");
    await page.keyboard.press("Enter");
    const error = dialog.locator(`#${await field.getAttribute("aria-describedby").then((ids) => ids?.split(" ").at(-1))}`);
    await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
    await expect(error.innerText()).resolves.toBe("Cette adresse n'est pas acceptée : elle doit commencer par https://, http:// ou mailto:.");
    await expect(dialog.isVisible()).resolves.toBe(true);
    await expect(editor.locator("a").count()).resolves.toBe(0);

    // An allowed one: the selected text becomes a link, the focus returns to the text.
    await field.fill("https://exemple.fr/programme");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "hidden" });
    await expect(editor.locator("a").getAttribute("href")).resolves.toBe("https://exemple.fr/programme");
    await expect(editor.locator("a").innerText()).resolves.toBe("Le programme complet");
    await expect.poll(() => focusInEditor(page)).toBe(true);

    // The toolbar button opens it too, with the current address; Escape cancels and changes nothing.
    await editor.locator("a").click();
    await page.getByRole("toolbar").getByRole("button", { name: "Lien", exact: true }).click();
    await dialog.waitFor();
    await expect(field.inputValue()).resolves.toBe("https://exemple.fr/programme");
    await field.fill("https://ailleurs.example");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await expect(editor.locator("a").getAttribute("href")).resolves.toBe("https://exemple.fr/programme");
    await expect.poll(() => focusInEditor(page)).toBe(true);

    // The browser's own boxes were never used.
    expect(native).toEqual([]);
    await context.close();
  });
});
