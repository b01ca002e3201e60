import fs from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { SAMPLE_PHOTOS } from "../fixtures/photos";

/** Debian's Chromium (or CHROMIUM_PATH); never a downloaded browser. */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean) as string[];
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

/** Playwright gives every launch a fresh, empty profile of its own. */
export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath()!,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/**
 * A fresh context that records every request to a host other than `baseUrl`'s, so a test can
 * assert that pages never reach out (fonts, scripts, trackers).
 */
export async function newContext(browser: Browser, baseUrl: string, options: Parameters<Browser["newContext"]>[0] = {}) {
  const context = await browser.newContext({ baseURL: baseUrl, locale: "fr-FR", ...options });
  const foreign: string[] = [];
  const own = new URL(baseUrl).host;
  context.on("request", (request) => {
    const url = new URL(request.url());
    if ((url.protocol === "http:" || url.protocol === "https:") && url.host !== own) foreign.push(request.url());
  });
  return { context, foreign };
}

export const DEMO_PASSWORD = "relais-demo-2026";

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto("/login");
  await page.getByLabel("Adresse e-mail").fill(email);
  await page.getByLabel("Mot de passe").fill(password);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  // The URL changes before the signed-in page has rendered: wait for the sign-out button.
  await page.getByRole("button", { name: "Se déconnecter" }).waitFor();
}

/**
 * Signs `email` (a demo account, or any active one) in without going through /login: a session made
 * by the app's own session module in the e2e server's database, its cookie set on `context`.
 * For tests whose subject is not signing in; those use signIn().
 */
export async function signInAs(context: BrowserContext, email: string): Promise<void> {
  // Imported here, not at the top: the global setup imports this file too, before any database exists.
  const { inject } = await import("vitest");
  const { setDatabaseUrl } = await import("~/env.server");
  const { db } = await import("~/db.server");
  const { lucia } = await import("~/auth/session.server");
  setDatabaseUrl(inject("e2eDatabaseUrl"));
  const user = await db().selectFrom("app_user").select("id").where("email", "=", email).where("active", "=", true).executeTakeFirst();
  if (!user) throw new Error(`signInAs: no active account ${email}`);
  const cookie = lucia().createSessionCookie((await lucia().createSession(user.id, {})).id);
  await context.addCookies([
    { name: cookie.name, value: cookie.value, url: inject("e2eBaseUrl"), httpOnly: true, sameSite: "Lax" },
  ]);
}

/** Waits until Remix has hydrated the page (its router is on `window`). */
export const hydrated = (page: Page) => page.waitForFunction(() => "__remixRouter" in window);

/** Console errors and uncaught errors of a page, as they come (React reports hydration mismatches on the console). */
export function recordErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`${m.text()} @ ${page.url()}`);
  });
  page.on("pageerror", (e) => errors.push(`${e.message} @ ${page.url()}`));
  return errors;
}

export type { Browser, BrowserContext, Page };

// ---- Helpers for the contribution, review and responsive tests ----

/** Real photos shared by the test suites. */
export { SAMPLE_PHOTOS };

/** Waits for the tiptap editor (it only exists once the page is hydrated). */
export async function editorReady(page: Page) {
  const editor = page.locator(".ProseMirror");
  await editor.waitFor({ state: "visible" });
  return editor;
}

/**
 * On /contributions/new: fills the title and a plain text body (the editor), attaches the given
 * photos (file names under SAMPLE_PHOTOS) and saves the draft. Returns the new contribution's id;
 * the page is then on its edit page.
 */
export async function writeDraft(page: Page, draft: { title: string; text?: string; photos?: string[]; wish?: "Mon service" | "Toute l'organisation" }) {
  await page.goto("/contributions/new");
  const editor = await editorReady(page);
  await page.getByLabel("Titre", { exact: true }).fill(draft.title);
  await editor.click();
  await page.keyboard.type(draft.text ?? "Un texte de contribution.");
  if (draft.wish) await page.getByRole("radio", { name: draft.wish }).check();
  if (draft.photos?.length) await page.locator("#photos").setInputFiles(draft.photos.map((p) => `${SAMPLE_PHOTOS}/${p}`));
  await page.getByRole("button", { name: "Enregistrer le brouillon" }).click();
  await page.waitForURL(/\/contributions\/\d+\/edit\?done=created$/);
  const id = Number(/\/contributions\/(\d+)\//.exec(page.url())![1]);
  // The URL changes before the edit page has replaced the new one (which has photo fields too).
  await page.locator(`main a[href="/contributions/${id}"]`).waitFor();
  return id;
}

/** On the edit page: the alt text of photo n (1-based). */
export function altField(page: Page, n: number) {
  return page.getByRole("group", { name: `Photo ${n}`, exact: true }).getByLabel("Description de la photo (texte alternatif)");
}
