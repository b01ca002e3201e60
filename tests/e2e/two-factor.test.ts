import jsQR from "jsqr";
import { generateSync } from "otplib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launch, newContext, type Browser } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

/** A fresh account of its own: enrolling a demo account would change how other tests sign in. */
async function freshAgent(password: string): Promise<string> {
  const { setDatabaseUrl } = await import("~/env.server");
  const { db } = await import("~/db.server");
  const { createUser } = await import("~/organisation/users.server");
  setDatabaseUrl(inject("e2eDatabaseUrl"));
  const email = `deux-facteurs-${Date.now()}@demo.relais`;
  const department = await db().selectFrom("department").select("id").orderBy("id").executeTakeFirstOrThrow();
  await createUser(db(), null, { email, displayName: "Dominique Deux-Facteurs", role: "agent", departmentId: department.id, locale: "fr" }, password);
  return email;
}

describe.skipIf(inject("e2eSkip"))("two-factor sign-in in a real browser", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("enrols with the secret read from the page, then signs in with the password and a code", async () => {
    const password = "deux facteurs valent mieux qu'un";
    const email = await freshAgent(password);
    const { context, foreign } = await newContext(browser, baseUrl);
    const page = await context.newPage();

    const signInWithPassword = async () => {
      await page.goto("/login");
      await page.getByLabel("Adresse e-mail").fill(email);
      await page.getByLabel("Mot de passe").fill(password);
      await page.getByRole("button", { name: "Se connecter" }).click();
    };
    await signInWithPassword();
    await page.getByRole("button", { name: "Se déconnecter" }).waitFor();

    await page.goto("/settings");
    await page.getByRole("link", { name: /Sécurité du compte/ }).click();
    await page.getByRole("button", { name: "Activer la double authentification" }).click();

    // What a person types by hand: the key shown as text, in groups.
    const shown = await page.locator("[data-secret]").innerText();
    expect(shown).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    const secret = shown.replaceAll(" ", "");
    // What a phone scans: the QR code as the browser draws it decodes to the otpauth URI.
    const qr = page.getByRole("img", { name: "QR code à scanner avec votre application d'authentification" });
    const { data, info } = await sharp(await qr.screenshot()).flatten({ background: "#fff" }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(jsQR(new Uint8ClampedArray(data), info.width, info.height)?.data).toBe(
      `otpauth://totp/Relais:${encodeURIComponent(email)}?secret=${secret}&issuer=Relais`,
    );

    await page.getByLabel("Code affiché par l'application").fill(generateSync({ secret }));
    await page.getByRole("button", { name: "Confirmer et activer" }).click();
    const codes = page.locator("[data-recovery-codes] li");
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    await expect(page.getByText("La double authentification est active.", { exact: false }).innerText()).resolves.toContain("10 codes de secours");

    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await page.waitForURL("**/login");

    await signInWithPassword();
    await page.waitForURL("**/login/code");
    // The code of the next step: the one that confirmed the enrolment cannot be used again.
    const next = generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    await page.getByLabel("Code de l'application ou code de secours").fill(next);
    await page.getByRole("button", { name: "Vérifier" }).click();
    await page.getByRole("button", { name: "Se déconnecter" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/");

    // This session is the one listed as current on the security page.
    await page.goto("/settings/security");
    await expect(page.getByText("(cette session)").count()).resolves.toBe(1);
    expect(foreign).toEqual([]);
    await context.close();
  });
});
