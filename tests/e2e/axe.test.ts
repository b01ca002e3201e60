import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seriousViolations } from "./axe-audit";
import { editorReady, launch, newContext, signInAs, writeDraft, type Browser, type Page } from "./browser";

// axe-core audits every page of every role in Chromium: serious and critical violations fail.
const baseUrl = inject("e2eBaseUrl");

/** Problems found across pages, one line per violation: page, rule, impact, elements. */
class Report {
  lines: string[] = [];
  pages = 0;
  async check(page: Page, what: string, { editor = false }: { editor?: boolean } = {}) {
    this.pages++;
    await page.waitForFunction(() => "__remixRouter" in window);
    if (editor) await editorReady(page);
    // Let React settle (focus moves, status messages) before the audit.
    await page.waitForTimeout(200);
    for (const line of await seriousViolations(page)) this.lines.push(`${what} — ${line}`);
  }
  async visit(page: Page, path: string, options: { status?: number; editor?: boolean; what?: string } = {}) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(options.status ?? 200);
    await this.check(page, options.what ?? path, options);
  }
}

let browser: Browser;
const stamp = Date.now();
/** Contributions of the agent in each state the workflow reaches through the UI. */
const ids: Record<"draft" | "submitted" | "changes_requested" | "rejected" | "approvedDepartment" | "approvedOrganisation", number> = {
  draft: 0,
  submitted: 0,
  changes_requested: 0,
  rejected: 0,
  approvedDepartment: 0,
  approvedOrganisation: 0,
};

async function session(email: string | null, options: Parameters<typeof newContext>[2] = {}) {
  const { context } = await newContext(browser, baseUrl, options);
  const page = await context.newPage();
  if (email) await signInAs(page.context(), email);
  return { context, page };
}

async function submit(page: Page, id: number) {
  await page.goto(`/contributions/${id}`);
  await page.getByRole("button", { name: "Envoyer en relecture" }).click();
  await page.waitForURL(`**/contributions/${id}?done=submitted`);
}

/** The id of a demo contribution, found by its title in the signed-in user's feed. */
async function idByTitle(page: Page, path: string, title: string) {
  await page.goto(path);
  const href = await page.getByRole("link", { name: title, exact: true }).first().getAttribute("href");
  return Number(/\/(?:contributions|review)\/(\d+)/.exec(href ?? "")![1]);
}

describe.skipIf(inject("e2eSkip"))("axe-core on every page of every role", () => {
  beforeAll(async () => {
    browser = await launch();
    const agent = await session("agent@demo.relais");
    const comms = await session("comms@demo.relais");
    ids.draft = await writeDraft(agent.page, { title: `Axe brouillon ${stamp}`, text: "Un brouillon pour axe." });
    for (const state of ["submitted", "changes_requested", "rejected", "approvedDepartment", "approvedOrganisation"] as const) {
      ids[state] = await writeDraft(agent.page, { title: `Axe ${state} ${stamp}`, text: `Une contribution ${state} pour axe.` });
      await submit(agent.page, ids[state]);
    }
    const decide = async (id: number, button: string, message?: string) => {
      await comms.page.goto(`/review/${id}`);
      if (message) await comms.page.getByLabel(button === "Refuser" ? "Motif du refus" : "Ce qu'il faut modifier").fill(message);
      if (button === "Approuver" && id === ids.approvedOrganisation) await comms.page.getByRole("radio", { name: "Visible par toute l'organisation" }).check();
      if (button === "Approuver" && id === ids.approvedDepartment) await comms.page.getByRole("radio", { name: "Visible par le service" }).check();
      await comms.page.getByRole("button", { name: button, exact: true }).click();
      await comms.page.waitForURL(`**/review/${id}?done=*`);
    };
    await decide(ids.changes_requested, "Demander des modifications", "Ajoutez la date, s'il vous plaît.");
    await decide(ids.rejected, "Refuser", "Hors sujet.");
    await decide(ids.approvedDepartment, "Approuver");
    await decide(ids.approvedOrganisation, "Approuver");
    // A comment, so that comment forms are audited too.
    await agent.page.goto(`/contributions/${ids.approvedOrganisation}`);
    await agent.page.getByLabel("Votre commentaire", { exact: true }).fill("Bravo à toute l'équipe.");
    await agent.page.getByRole("button", { name: "Commenter" }).click();
    await agent.page.locator(".comment", { hasText: "Bravo à toute l'équipe." }).waitFor();
    await Promise.all([agent.context.close(), comms.context.close()]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("signed out: login (also with an error), invitations, 404", async () => {
    const report = new Report();
    const { context, page } = await session(null);
    await report.visit(page, "/login");
    await page.getByLabel("Adresse e-mail").fill("personne@demo.relais");
    await page.getByLabel("Mot de passe").fill("pas le bon");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.locator(".alert, [role=alert]").first().waitFor();
    await report.check(page, "/login (refusé)");
    await report.visit(page, "/invitation/inconnue", { status: 404, what: "/invitation (inconnue)" });

    // A real invitation, from the admin's page.
    const admin = await session("admin@demo.relais");
    await admin.page.goto("/admin/users");
    const invite = admin.page.getByRole("region", { name: "Inviter une personne" });
    await invite.getByLabel("Adresse e-mail").fill(`axe-${stamp}@demo.relais`);
    await invite.getByLabel("Nom affiché").fill("Personne Axe");
    await invite.getByLabel("Rôle").selectOption("agent");
    await invite.getByLabel("Service").selectOption({ label: "Sports" });
    await invite.getByRole("button", { name: "Inviter une personne" }).click();
    const link = await admin.page.locator("a[href*='/invitation/']").first().getAttribute("href");
    await report.check(admin.page, "/admin/users (invitation créée)");
    await admin.context.close();
    await report.visit(page, new URL(link!, baseUrl).pathname, { what: "/invitation/<jeton>" });
    await page.getByRole("button", { name: "Activer mon compte" }).click();
    await page.locator("[aria-invalid=true]").first().waitFor();
    await report.check(page, "/invitation/<jeton> (refusé)");

    await report.visit(page, "/nulle-part", { status: 404 });
    await context.close();
    expect(report.lines, report.lines.join("\n")).toEqual([]);
  });

  it("agent: feeds, search, own contributions in every state, forms, notifications, settings", async () => {
    const report = new Report();
    const { context, page } = await session("agent@demo.relais");
    await report.visit(page, "/");
    await report.visit(page, "/?scope=organisation");
    await report.visit(page, "/search?q=lecture");
    await expect(page.locator("main .feed li").count(), "la recherche a des résultats").resolves.toBeGreaterThan(0);
    await report.visit(page, "/search?from=2026-02-01&to=2026-01-01", { status: 400, what: "/search (dates refusées)" });
    await report.visit(page, "/my");
    await report.visit(page, "/my/summary");
    await report.visit(page, "/statistics", { status: 403 });
    for (const [state, id] of Object.entries(ids)) {
      await report.visit(page, `/contributions/${id}`, { what: `/contributions/<${state}>` });
    }
    await report.visit(page, "/contributions/new", { editor: true });
    await page.getByRole("button", { name: "Enregistrer le brouillon" }).click();
    await page.locator("[aria-invalid=true]").first().waitFor();
    await report.check(page, "/contributions/new (refusé)", { editor: true });
    await page.locator(".ProseMirror").click();
    await page.keyboard.press("Control+k");
    await page.getByRole("dialog", { name: "Lien" }).waitFor();
    await report.check(page, "/contributions/new (dialogue du lien)", { editor: true });
    await page.keyboard.press("Escape");
    await report.visit(page, `/contributions/${ids.draft}/edit`, { editor: true });
    await report.visit(page, `/contributions/${ids.changes_requested}/edit`, { editor: true, what: "/contributions/<changes_requested>/edit" });
    await report.visit(page, "/notifications");
    await report.visit(page, "/settings");
    await report.visit(page, "/settings/security");
    // An enrolment left pending (never confirmed): the page with its QR code and key.
    await page.getByRole("button", { name: "Activer la double authentification" }).click();
    await page.locator("[data-secret]").waitFor();
    await report.check(page, "/settings/security (QR code)");
    await report.visit(page, "/confirm-password");
    await report.visit(page, "/account/export");
    await report.visit(page, "/privacy");
    await report.visit(page, "/admin/register", { status: 403 });
    await report.visit(page, "/review", { status: 403 });
    await report.visit(page, "/publishing", { status: 403 });
    await report.visit(page, "/publishing/calendar", { status: 403 });
    await report.visit(page, "/contributions/999999999", { status: 404 });
    await context.close();
    expect(report.pages).toBeGreaterThan(15);
    expect(report.lines, report.lines.join("\n")).toEqual([]);
  });

  it("comms: review inbox, review page (also a refused decision), department feeds, notifications", async () => {
    const report = new Report();
    const { context, page } = await session("comms@demo.relais");
    const sportsId = await idByTitle(page, "/review", "Randonnée du club : la cascade");
    await report.visit(page, "/");
    const department = await page.locator("#feed-department option:not([value=''])").first().getAttribute("value");
    await report.visit(page, `/?department=${department}`, { what: "/?department=<id>" });
    await report.visit(page, "/search?q=cascade");
    await report.visit(page, "/statistics?period=year");
    await report.visit(page, `/statistics?period=year&department=${department}`, { what: "/statistics?department=<id>" });
    await report.visit(page, "/statistics?period=custom&from=2026-02-01&to=2026-01-01", { status: 400, what: "/statistics (dates refusées)" });
    await report.visit(page, "/review");
    await report.visit(page, "/review?department=abc", { status: 400, what: "/review (filtre refusé)" });
    await report.visit(page, `/review/${ids.submitted}`, { editor: true, what: "/review/<submitted>" });
    await report.visit(page, `/review/${sportsId}`, { editor: true, what: "/review/<submitted, photo>" });
    await page.getByRole("button", { name: "Refuser", exact: true }).click();
    await page.locator("#reject-error").waitFor();
    await report.check(page, "/review/<submitted> (refus sans motif)", { editor: true });
    await report.visit(page, `/review/${ids.approvedOrganisation}`, { what: "/review/<approved>" });
    await report.visit(page, `/contributions/${sportsId}`, { what: "/contributions/<submitted, photo>" });
    await report.visit(page, `/contributions/${ids.rejected}`, { what: "/contributions/<rejected>" });
    await report.visit(page, "/publishing");
    await report.visit(page, "/publishing?view=week", { what: "/publishing (semaine)" });
    await report.visit(page, "/publishing?view=month", { what: "/publishing (mois)" });
    // The calendar subscription, linked from the queue: the address shown once, in a labelled field.
    await page.getByRole("link", { name: "Le calendrier dans votre agenda" }).click();
    await page.waitForURL("**/publishing/calendar");
    await report.check(page, "/publishing/calendar");
    await page.getByRole("button", { name: /^(Créer une adresse d'abonnement|Remplacer l'adresse)$/ }).click();
    await page.getByLabel("Adresse d'abonnement").waitFor();
    await report.check(page, "/publishing/calendar (adresse créée)");
    await report.visit(page, "/publishing/channels");
    await page.getByRole("button", { name: "Créer le canal" }).click();
    await page.locator("[aria-invalid=true]").first().waitFor();
    await report.check(page, "/publishing/channels (création refusée)");
    await report.visit(page, `/publishing/new/${ids.approvedOrganisation}`, { what: "/publishing/new/<approved>" });
    await report.visit(page, "/consents");
    await page.getByRole("button", { name: "Enregistrer l'autorisation" }).click();
    await page.locator("[aria-invalid=true]").first().waitFor();
    await report.check(page, "/consents (enregistrement refusé)");
    await page.getByLabel("Nom de la personne").fill("Camille Audit");
    await page.getByRole("button", { name: "Enregistrer l'autorisation" }).click();
    await page.waitForURL(/\/consents\/\d+/);
    await report.check(page, "/consents/<id>");
    await report.visit(page, "/my");
    await report.visit(page, "/contributions/new", { editor: true });
    await report.visit(page, "/notifications");
    await report.visit(page, "/settings");
    await context.close();
    expect(report.lines, report.lines.join("\n")).toEqual([]);
  });

  it("manager: feeds, search, contribution pages, notifications, settings", async () => {
    const report = new Report();
    const { context, page } = await session("manager@demo.relais");
    await report.visit(page, "/");
    await report.visit(page, "/?scope=organisation");
    await report.visit(page, "/search?q=atelier");
    await report.visit(page, `/contributions/${ids.approvedDepartment}`, { what: "/contributions/<approved, service>" });
    await report.visit(page, `/contributions/${ids.approvedOrganisation}`, { what: "/contributions/<approved, organisation>" });
    await report.visit(page, "/my");
    await report.visit(page, "/notifications");
    await report.visit(page, "/settings");
    await context.close();
    expect(report.lines, report.lines.join("\n")).toEqual([]);
  });

  it("admin: people, departments (also refused forms), feed, search, settings, 403", async () => {
    const report = new Report();
    const { context, page } = await session("admin@demo.relais");
    await report.visit(page, "/admin/users");
    await report.visit(page, "/admin/users?q=demo", { what: "/admin/users?q=" });
    const invite = page.getByRole("region", { name: "Inviter une personne" });
    await invite.getByRole("button", { name: "Inviter une personne" }).click();
    await page.locator("[aria-invalid=true]").first().waitFor();
    await report.check(page, "/admin/users (invitation refusée)");
    const closeAccount = await page.getByRole("link", { name: /^Fermer le compte/ }).first().getAttribute("href");
    await report.visit(page, closeAccount!, { what: "/admin/users/<id>/close" });
    await page.getByRole("button", { name: "Fermer définitivement le compte" }).click();
    await page.locator("[aria-invalid=true]").first().waitFor();
    await report.check(page, "/admin/users/<id>/close (non confirmé)");
    await report.visit(page, "/admin/departments");
    await page.getByRole("button", { name: "Créer le service" }).click();
    await page.locator("[aria-invalid=true]").first().waitFor();
    await report.check(page, "/admin/departments (création refusée)");
    await report.visit(page, "/admin/audit");
    await report.visit(page, "/admin/audit?from=2026-03-10&to=2026-03-01", { status: 400, what: "/admin/audit (période refusée)" });
    await report.visit(page, "/admin/register");
    await report.visit(page, "/admin/settings");
    await page.getByLabel("Brouillons non modifiés (mois)").fill("0");
    await page.getByRole("button", { name: "Enregistrer les durées" }).click();
    await page.locator("[aria-invalid=true]").first().waitFor();
    await report.check(page, "/admin/settings (durée refusée)");
    await report.visit(page, "/");
    await report.visit(page, "/search?q=lecture");
    await report.visit(page, "/notifications");
    await report.visit(page, "/settings");
    await report.visit(page, `/contributions/${ids.approvedOrganisation}`, { what: "/contributions/<approved, organisation>" });
    await report.visit(page, "/contributions/new", { status: 403 });
    await context.close();
    expect(report.lines, report.lines.join("\n")).toEqual([]);
  });

  it("at 360 px: the pages with the most on them", async () => {
    const report = new Report();
    const { context, page } = await session("comms@demo.relais", { viewport: { width: 360, height: 740 }, hasTouch: true });
    await report.visit(page, "/");
    await report.visit(page, `/review/${ids.submitted}`, { editor: true, what: "/review/<submitted>" });
    await report.visit(page, "/contributions/new", { editor: true });
    await report.visit(page, "/search?q=lecture");
    await report.visit(page, "/publishing?view=month", { what: "/publishing (mois)" });
    await report.visit(page, "/publishing/channels");
    await report.visit(page, "/privacy");
    await context.close();
    expect(report.lines, report.lines.join("\n")).toEqual([]);
  });
});
