import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launch, newContext, signIn, signInAs, type Browser } from "./browser";

const baseUrl = inject("e2eBaseUrl");
let browser: Browser;

describe.skipIf(inject("e2eSkip"))("foundation in a real browser", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const navOf = async (email: string) => {
    const { context, foreign } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, email);
    await page.goto("/");
    const nav = page.getByRole("navigation", { name: "Navigation principale" });
    await nav.getByRole("link", { name: "Fil" }).waitFor();
    const links = await nav.getByRole("link").allInnerTexts();
    await context.close();
    return { links, foreign };
  };

  it("shows each demo account the navigation of its role, with no request to another host", async () => {
    const agent = await navOf("agent@demo.relais");
    expect(agent.links).toEqual(["Fil", "Contribuer", "Mes contributions", "Mon bilan", "Recherche"]);
    expect(agent.links).not.toContain("Statistiques");
    const comms = await navOf("comms@demo.relais");
    expect(comms.links).toContain("À relire");
    expect(comms.links).not.toContain("Personnes");
    const admin = await navOf("admin@demo.relais");
    expect(admin.links).toEqual(expect.arrayContaining(["Personnes", "Services"]));
    expect(admin.links).not.toContain("À relire");
    const manager = await navOf("manager@demo.relais");
    expect(manager.links).not.toContain("Personnes");
    expect(manager.links).toContain("Statistiques");
    expect([...agent.foreign, ...comms.foreign, ...admin.foreign, ...manager.foreign]).toEqual([]);
  });

  it("signs out, and the old session no longer opens pages", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signIn(page, "agent@demo.relais");
    await page.getByRole("link", { name: /Camille Martin/ }).waitFor();
    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await page.waitForURL("**/login");
    await page.goto("/settings");
    expect(new URL(page.url()).pathname).toBe("/login");
    await context.close();
  });

  it("shows a friendly 403 page to an agent on an admin page, and a 404 page for an unknown address", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "agent@demo.relais");
    const forbidden = await page.goto("/admin/users");
    expect(forbidden?.status()).toBe(403);
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toContain("403");
    await expect(page.locator("main").innerText()).resolves.toContain("Vous n'avez pas accès à cette page.");
    const missing = await page.goto("/nulle-part");
    expect(missing?.status()).toBe(404);
    await expect(page.locator("main").innerText()).resolves.toContain("Cette page n'existe pas");
    await expect(page.content()).resolves.not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
    await context.close();
  });

  it("invites a person who then chooses a password and signs in", async () => {
    const { context } = await newContext(browser, baseUrl);
    const page = await context.newPage();
    await signInAs(context, "admin@demo.relais");
    await page.goto("/admin/users");
    const form = page.locator("form", { has: page.getByRole("button", { name: "Inviter une personne" }) });
    await form.getByLabel("Adresse e-mail").fill("nouvelle.recrue@demo.relais");
    await form.getByLabel("Nom affiché").fill("Nouvelle Recrue");
    await form.getByLabel("Rôle").selectOption("agent");
    await form.getByLabel("Service").selectOption({ label: "Sports" });
    await form.getByRole("button", { name: "Inviter une personne" }).click();
    const link = await page.getByRole("status").getByRole("link").getAttribute("href");
    expect(link).toMatch(/\/invitation\//);
    await context.close();

    const fresh = await newContext(browser, baseUrl);
    const invitee = await fresh.context.newPage();
    await invitee.goto(link!);
    await invitee.getByLabel("Nouveau mot de passe").fill("court");
    await invitee.getByLabel("Confirmez le mot de passe").fill("court");
    await invitee.getByRole("button", { name: "Activer mon compte" }).click();
    // The server's answer: the field marked invalid, its message beside it (the same words are also the
    // field's hint, shown from the start; typing before the answer came raced with it).
    const password = invitee.getByLabel("Nouveau mot de passe");
    await expect.poll(() => password.getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    expect(await invitee.locator("#" + (await password.getAttribute("id")) + "-error").textContent()).toContain("au moins 10 caractères");
    await invitee.getByLabel("Nouveau mot de passe").fill("mon mot de passe solide");
    await invitee.getByLabel("Confirmez le mot de passe").fill("mon mot de passe solide");
    await invitee.getByRole("button", { name: "Activer mon compte" }).click();
    await invitee.waitForURL(baseUrl + "/");
    await invitee.getByRole("link", { name: /Nouvelle Recrue/ }).waitFor();
    await invitee.getByRole("heading", { level: 1, name: "Fil des contributions" }).waitFor();
    // The link is single-use.
    const reused = await invitee.goto(link!);
    expect(reused?.status()).toBe(410);
    await expect(invitee.locator("main").innerText()).resolves.toContain("déjà servi");
    await fresh.context.close();
  });

  it("answers 429 at the 11th bad password in 15 minutes", async () => {
    // A dedicated account and address, created with the CLI against the running server's database.
    await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "scripts/relais.ts", "user:create", "--email", "cible@demo.relais", "--name", "Cible", "--role", "agent", "--department", "Sports", "--password", "le bon mot de passe"],
      { env: { ...process.env, DATA_DIR: inject("e2eDataDir") } },
    );
    const { context } = await newContext(browser, baseUrl, { extraHTTPHeaders: { "X-Forwarded-For": "203.0.113.50" } });
    const page = await context.newPage();
    const statuses: number[] = [];
    page.on("response", (r) => {
      if (r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/login")) statuses.push(r.status());
    });
    await page.goto("/login");
    for (let i = 0; i < 11; i++) {
      await page.getByLabel("Adresse e-mail").fill("cible@demo.relais");
      await page.getByLabel("Mot de passe").fill(`mauvais ${i}`);
      await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/login")),
        page.getByRole("button", { name: "Se connecter" }).click(),
      ]);
    }
    expect(statuses).toHaveLength(11);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
    await page.getByText("Trop de tentatives").waitFor();
    await expect(page.getByRole("alert").first().innerText()).resolves.toMatch(/^Trop de tentatives\. Réessayez à \d\d:\d\d\.$/);
    await context.close();
  });

  it("refuses a cross-origin POST with 403 and answers /healthz", async () => {
    const crossSite = await fetch(`${baseUrl}/login`, {
      method: "POST",
      headers: { Origin: "https://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
      body: "email=agent%40demo.relais&password=relais-demo-2026",
    });
    expect(crossSite.status).toBe(403);
    const noOrigin = await fetch(`${baseUrl}/logout`, { method: "POST" });
    expect(noOrigin.status).toBe(403);
    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const csp = health.headers.get("content-security-policy")!;
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(csp).not.toContain("unsafe-inline'; object");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
