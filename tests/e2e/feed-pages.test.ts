import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hydrated, launch, newContext, recordErrors, signInAs, type Browser } from "./browser";
import { database } from "./database";

// A feed's cards reach the browser as markup in a whole page, and packed (one JSON string,
// app/utils/packed.ts) after a navigation inside it: in Chromium against the built server, the page
// hydrates without a mismatch, "Voir les suivantes" loads the next page in place (its data through
// the router), and going back shows the first page again.

const baseUrl = inject("e2eBaseUrl");
const stamp = randomBytes(3).toString("hex");
let browser: Browser;

/**
 * An agent alone in a department of their own (nothing else the suite does lands in its feed), and
 * `count` approved items of theirs titled `${name} 1 …` (the newest) to `${name} ${count} …`.
 * Returns the agent's address and the items' titles by number.
 */
async function feedOfItsOwn(name: string, count: number) {
  const db = await database();
  const key = `${name.toLowerCase()}-${stamp}`;
  const department = await db.insertInto("department").values({ name: `${name} ${stamp}` }).returning("id").executeTakeFirstOrThrow();
  const email = `${key}@demo.relais`;
  const agent = await db
    .insertInto("app_user")
    .values({ id: key, email, display_name: `Agent ${stamp}`, role: "agent", department_id: department.id })
    .returning("id")
    .executeTakeFirstOrThrow();
  await sql`
    INSERT INTO contribution (author_id, department_id, title, body_json, body_html, body_text, status, visibility, submitted_at, approved_at)
    SELECT ${agent.id}, ${department.id}, ${name} || ' ' || i || ' ' || ${stamp}, '{"type":"doc","content":[]}'::jsonb, '', 'Texte', 'approved', 'department',
      now() - make_interval(mins => i), now() - make_interval(mins => i)
    FROM generate_series(1, ${count}::int) AS i`.execute(db);
  return { email, title: (i: number) => `${name} ${i} ${stamp}` };
}

describe.skipIf(inject("e2eSkip"))("a feed's pages in the browser", () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("hydrate, page forward in place and back, with the cards of each page", async () => {
    // 25 approved items, "Carte 1" the newest: 20 on the first page, 5 on the second.
    const { email, title } = await feedOfItsOwn("Carte", 25);

    const { context } = await newContext(browser, baseUrl);
    await signInAs(context, email);
    const page = await context.newPage();
    const errors = recordErrors(page);
    const cards = () => page.locator("ul.feed > li h2").allTextContents();

    await page.goto("/");
    await hydrated(page);
    expect(await cards()).toEqual(Array.from({ length: 20 }, (_, i) => title(i + 1)));
    // The page carries its cards once, as markup, not again as data to hydrate with (shownAsMarkup);
    // a navigation inside the page gets them as data (below: the next page, then back).
    const whole = await (await page.request.get("/")).text();
    expect(whole.split(title(2)).length - 1).toBe(1);
    expect(whole).toContain(`>${title(2)}</a>`);
    // A mark on the window survives navigations in the page, not a reload.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

    await page.getByRole("link", { name: "Voir les suivantes" }).click();
    await page.waitForURL((url) => url.searchParams.has("cursor"));
    await page.getByRole("link", { name: title(21) }).waitFor();
    expect(await cards()).toEqual([21, 22, 23, 24, 25].map(title));
    expect(await page.getByRole("link", { name: "Voir les suivantes" }).count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

    await page.goBack();
    await page.getByRole("link", { name: title(1) }).waitFor();
    expect(await cards()).toHaveLength(20);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("keeps the cards when React renders the page anew (a browser extension changed it before hydration)", async () => {
    const { email, title } = await feedOfItsOwn("Vue", 3);
    const { context } = await newContext(browser, baseUrl);
    await signInAs(context, email);
    // What some extensions do: change the page's text as it arrives, so that React's hydration finds
    // other text than it renders, gives up, and renders the whole page itself.
    await context.addInitScript(() => {
      new MutationObserver((_, observer) => {
        const title = document.querySelector("main h1");
        if (!title?.textContent) return;
        title.textContent += " (changé)";
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    });
    const page = await context.newPage();
    const errors = recordErrors(page);
    await page.goto("/");
    await hydrated(page);
    // React rendered the page anew (the title is its own again), and the cards, which came as markup
    // only, are still there: written back from what was read before hydrating.
    await page.waitForFunction(() => !document.querySelector("main h1")?.textContent?.includes("(changé)"));
    expect(errors.join("\n")).toMatch(/hydrat|#418|#423|#425/i);
    expect(await page.locator("ul.feed > li h2").allTextContents()).toEqual([1, 2, 3].map(title));
    await page.getByRole("link", { name: title(2) }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/contributions/"));
    await context.close();
  });

  it("search's filters show each request's own values and messages (their markup is kept on the server)", async () => {
    const db = await database();
    // Departments from the start: the server remembers the list for a minute, so one made now might not be in it yet.
    const [a, b] = await db.selectFrom("department").select("id").orderBy("id").limit(2).execute();
    const email = `filtres-${stamp}@demo.relais`;
    await db.insertInto("app_user").values({ id: `filtres-${stamp}`, email, display_name: `Agent ${stamp}`, role: "agent", department_id: a.id }).execute();
    const { context } = await newContext(browser, baseUrl);
    await signInAs(context, email);
    const page = await context.newPage();
    const errors = recordErrors(page);
    const department = page.getByLabel("Service", { exact: true });
    const tag = page.getByLabel("Mot-clé", { exact: true });

    const visit = async (query: string) => {
      const response = await page.goto(`/search?${query}`);
      await hydrated(page);
      return response?.status();
    };
    expect(await visit(`q=atelier&department=${a.id}&tag=jardin`)).toBe(200);
    expect([await department.inputValue(), await tag.inputValue()]).toEqual([String(a.id), "jardin"]);
    expect(await visit(`q=atelier&department=${b.id}`)).toBe(200);
    expect([await department.inputValue(), await tag.inputValue()]).toEqual([String(b.id), ""]);
    // A refused filter: its message by its field; the next request's fields are clear of it.
    expect(await visit("q=atelier&department=abc")).toBe(400);
    expect(await department.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#department-error").textContent()).toBe("Choisissez un service dans la liste.");
    // No department chosen either, but no message: the same select, without it.
    expect(await visit("q=atelier")).toBe(200);
    expect(await department.getAttribute("aria-invalid")).toBeNull();
    expect(await page.locator("#department-error").count()).toBe(0);
    expect(await department.inputValue()).toBe("");
    expect(await visit(`q=atelier&department=${a.id}&tag=jardin`)).toBe(200);
    expect(await department.getAttribute("aria-invalid")).toBeNull();
    expect([await department.inputValue(), await tag.inputValue()]).toEqual([String(a.id), "jardin"]);
    // A 400 page logs its status in the console; anything else (a hydration mismatch) is an error.
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    await context.close();
  });

  it("going back to search results asks the server for them again, and shows what was written meanwhile", async () => {
    // Why a person's results are kept (app/contributions/search.server.ts): each return to them asks again.
    const { email, title } = await feedOfItsOwn("Retour", 3);
    const { context } = await newContext(browser, baseUrl);
    await signInAs(context, email);
    const page = await context.newPage();
    const errors = recordErrors(page);
    const asked: string[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith("/search")) asked.push(url.pathname);
    });
    await page.goto(`/search?q=${stamp}`);
    await hydrated(page);
    await page.getByRole("link", { name: title(1) }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/contributions/"));
    // Meanwhile, a newer item of theirs.
    const db = await database();
    await sql`
      INSERT INTO contribution (author_id, department_id, title, body_json, body_html, body_text, status, visibility, submitted_at, approved_at)
      SELECT author_id, department_id, ${title(0)}, body_json, body_html, body_text, status, visibility, now(), now()
      FROM contribution WHERE title = ${title(1)}`.execute(db);
    const before = asked.length;
    await page.goBack();
    await page.getByRole("link", { name: title(0) }).waitFor();
    expect(asked.slice(before)).toContain("/search.data");
    expect((await page.locator("main li.card h3").allTextContents()).sort()).toEqual([0, 1, 2, 3].map(title));
    expect(errors).toEqual([]);
    await context.close();
  });
});
