import type { ReactElement } from "react";
import { Window } from "happy-dom";
import { renderToPipeableStream, renderToString } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { KeptMarkup, MarkupKeeperContext, rememberServerMarkup } from "~/components/kept-markup";
import { DashboardFigures } from "~/components/statistics-dashboard";
import { serverI18n } from "~/i18n/i18n";
import * as dashboardPage from "~/routes/statistics";
import { markupKeeper } from "~/server/kept-markup.server";
import { rebuildStatistics } from "~/statistics/rollups.server";
import { cameAsMarkup, isEmptyList, pack, packedJson, shownAsMarkup, unpack } from "~/utils/packed";
import { context, get, outcome, run, signedIn } from "../../factories";
import { streamedHtml } from "../../streamed-html";
import { seedDataset } from "./dataset";

// The dashboard's body is kept as markup between requests (KeptMarkup). What the server sends must
// be byte for byte what React renders without keeping it (the browser hydrates it as its own), and
// a change of the figures must show at once.

type Props = Parameters<typeof DashboardFigures>[0];
type Locale = Parameters<typeof serverI18n>[0];
let props: Props;

beforeAll(async () => {
  await seedDataset(5);
  await rebuildStatistics(db());
  const comms = await signedIn("admin", null);
  const page = outcome(await run(() => dashboardPage.loader({ request: get("/statistics?period=custom&from=2025-12-01&to=2026-11-30", comms.cookie), params: {}, context })));
  expect(page.status).toBe(200);
  const { result, scopeName, csvHref } = page.body as Omit<Props, "timeZone">;
  props = { result, scopeName, csvHref, timeZone: "Europe/Paris" };
  expect(unpack(result).departments.length).toBeGreaterThan(0);
  expect(unpack(result).highlights.length).toBeGreaterThan(0);
});

/** Rendered as entry.server.tsx renders a page: streamed, with or without a keeper. */
async function streamed(element: ReactElement, keep: boolean, language: Locale = "fr"): Promise<string> {
  const i18n = serverI18n(language);
  const { html } = await streamedHtml(
    renderToPipeableStream,
    <I18nextProvider i18n={i18n}>
      <MarkupKeeperContext.Provider value={keep ? markupKeeper(i18n) : null}>
        <main>
          <h1>Statistiques</h1>
          {element}
        </main>
      </MarkupKeeperContext.Provider>
    </I18nextProvider>,
  );
  return html;
}

const body = (p: Props) => (
  <KeptMarkup depends={[p.result, p.scopeName, p.csvHref, p.timeZone]} className="stack">
    <DashboardFigures {...p} />
  </KeptMarkup>
);

describe("the dashboard's kept markup", () => {
  it("is the markup React renders without keeping it, in both languages, kept or not yet", async () => {
    for (const language of ["fr", "en"] as const) {
      const plain = await streamed(body(props), false, language);
      const first = await streamed(body(props), true, language);
      const again = await streamed(body(props), true, language);
      expect(first).toBe(plain);
      expect(again).toBe(plain);
      const alone = renderToString(
        <I18nextProvider i18n={serverI18n(language)}>
          <DashboardFigures {...props} />
        </I18nextProvider>,
      );
      expect(plain).toContain(` class="stack">${alone}</div>`);
      expect(plain).toContain("<svg");
    }
    expect(await streamed(body(props), true, "en")).not.toBe(await streamed(body(props), true, "fr"));
  });

  it("is made again when a figure, a name or the time zone changes, and only then", async () => {
    const before = await streamed(body(props), true);
    const result = unpack(props.result);
    const department = result.departments[0];
    const changed: Props = {
      ...props,
      result: pack({ ...result, departments: [{ ...department, name: "Service renommé", submitted: 987_654 }, ...result.departments.slice(1)] }),
    };
    const after = await streamed(body(changed), true);
    expect(after).toContain("Service renommé");
    expect(after).toContain("987654");
    expect(after).toBe(await streamed(body(changed), false));
    expect(await streamed(body(props), true)).toBe(before);
    const elsewhere = await streamed(body({ ...props, timeZone: "Pacific/Kiritimati" }), true);
    expect(elsewhere).toBe(await streamed(body({ ...props, timeZone: "Pacific/Kiritimati" }), false));
  });

  it("is reused for the same dependencies: children are not rendered again", async () => {
    const i18n = serverI18n("fr");
    const keep = markupKeeper(i18n);
    const depends = ["kept-markup-test", Math.random()];
    expect(keep(depends, <p>premier</p>)).toBe("<p>premier</p>");
    expect(keep(depends, <p>second</p>)).toBe("<p>premier</p>");
    expect(keep([...depends, 1], <p>second</p>)).toBe("<p>second</p>");
  });

  it("keys packed rows by their text, apart from the same rows unpacked: rows made anew at each request with the same text reuse the markup", () => {
    const keep = markupKeeper(serverI18n("fr"));
    const text = JSON.stringify([{ id: Math.random(), title: 'Un "titre"' }]);
    // Each request's rows are a new object (a search, "mes contributions"); made by PostgreSQL or by pack.
    expect(keep(packedJson(text), <p>premier</p>)).toBe("<p>premier</p>");
    expect(keep(packedJson(text), <p>second</p>)).toBe("<p>premier</p>");
    expect(keep(pack(JSON.parse(text)), <p>second</p>)).toBe("<p>premier</p>");
    expect(keep(packedJson(text.replace("titre", "autre titre")), <p>second</p>)).toBe("<p>second</p>");
    // Any other object is known by its JSON: the same text, not packed, is another key, and so are
    // the rows themselves (their JSON is the packed text).
    expect(keep({ json: text }, <p>troisième</p>)).toBe("<p>troisième</p>");
    expect(keep(JSON.parse(text), <p>quatrième</p>)).toBe("<p>quatrième</p>");
  });

  it("keeps the text of rows a whole page shows as markup on the server; the browser keeps that markup and renders rows that came as data", () => {
    const rows = [{ id: 1, title: `Un "titre" ${Math.random()}` }];
    const packed = pack(rows);
    // A navigation inside the page (a data request) gets the rows themselves.
    expect(shownAsMarkup(packed, { wholePage: false })).toBe(packed);
    // A whole page: one twin per packed rows, whose text the server reads (unpack, the keeper's key)
    // and that goes to the browser without it (turbo-stream, like JSON, sends own enumerable keys).
    const twin = shownAsMarkup(packed, { wholePage: true });
    expect(shownAsMarkup(packed, { wholePage: true })).toBe(twin);
    expect(unpack(twin)).toEqual(rows);
    const keep = markupKeeper(serverI18n("fr"));
    expect(keep([packed], <p>rangées</p>)).toBe("<p>rangées</p>");
    expect(keep([twin], <p>autre</p>)).toBe("<p>rangées</p>");
    const inBrowser = JSON.parse(JSON.stringify({ items: twin })).items;
    expect(JSON.stringify(inBrowser)).not.toContain("titre");
    expect([cameAsMarkup([inBrowser, "Europe/Paris"]), isEmptyList(inBrowser)]).toEqual([true, false]);
    expect(isEmptyList(JSON.parse(JSON.stringify(shownAsMarkup(pack([]), { wholePage: true }))))).toBe(true);
    expect([cameAsMarkup([twin]), cameAsMarkup([packed]), cameAsMarkup([JSON.parse(JSON.stringify(packed))])]).toEqual([false, false, false]);
    expect(() => unpack(inBrowser)).toThrow();

    // In the browser (no keeper): the children are not rendered. The element is empty for React to
    // leave the server's markup in place when it hydrates, or, once that markup has been read
    // (rememberServerMarkup, before hydrating), holds it, should React render the page anew.
    // Rows that came as data render.
    const Rows = ({ items }: { items: typeof packed }) => unpack(items).map((row) => <li key={row.id}>{row.title}</li>);
    const inPage = (items: typeof packed) =>
      renderToString(
        <KeptMarkup as="ul" className="feed" depends={[items, "Europe/Paris"]}>
          <Rows items={items} />
        </KeptMarkup>,
      );
    expect(inPage(inBrowser)).toMatch(/^<ul data-kept="[^"]+" class="feed"><\/ul>$/);
    const rendered = inPage(JSON.parse(JSON.stringify(packed)));
    expect(rendered).toContain("<li>Un &quot;titre&quot;");
    const { document } = new Window();
    document.body.innerHTML = rendered;
    rememberServerMarkup(document as unknown as ParentNode);
    const read = document.querySelector("ul")!.innerHTML;
    expect(read).toContain("<li>Un ");
    expect(inPage(inBrowser)).toBe(rendered.replace(/>.*<\/ul>$/, `>${read}</ul>`));
  });

  it("tells apart two kept elements of a page with the same element and class by the name given (the filters' department and tag fields)", () => {
    const field = (name: string | undefined, text: string) => (
      <KeptMarkup className="grow field" name={name} depends={[text]}>
        <p>{text}</p>
      </KeptMarkup>
    );
    const html = renderToString(
      <>
        {field(undefined, "service")}
        {field("tag", "mot-clé")}
      </>,
    );
    const { document } = new Window();
    document.body.innerHTML = html;
    expect([...document.querySelectorAll("[data-kept]")].map((e) => e.getAttribute("data-kept"))).toEqual(["div|grow field|", "div|grow field||tag"]);
    rememberServerMarkup(document as unknown as ParentNode);
    // In the browser, rows that came as markup only: each element gets its own markup back.
    const markupOnly = JSON.parse(JSON.stringify(shownAsMarkup(pack([Math.random()]), { wholePage: true })));
    const again = (name: string | undefined) =>
      renderToString(
        <KeptMarkup className="grow field" name={name} depends={[markupOnly]}>
          <p>rendu</p>
        </KeptMarkup>,
      );
    expect(again(undefined)).toContain("<p>service</p>");
    expect(again("tag")).toContain("<p>mot-clé</p>");
  });

  it("keys primitive parts by their JSON: a part holding the separator is not two parts", () => {
    const keep = markupKeeper(serverI18n("fr"));
    const mark = String(Math.random());
    expect(keep([`${mark}\0b`], <p>un</p>)).toBe("<p>un</p>");
    expect(keep([mark, "b"], <p>deux</p>)).toBe("<p>deux</p>");
    expect(keep([`${mark}\0b`], <p>trois</p>)).toBe("<p>un</p>");
  });

  it("tells an empty packed list without unpacking it", () => {
    expect(isEmptyList(pack([]))).toBe(true);
    expect(isEmptyList(packedJson(`[${[].join(",")}]`))).toBe(true);
    expect(isEmptyList(pack([{ id: 1 }]))).toBe(false);
    expect(isEmptyList(packedJson('[{"id":1}]'))).toBe(false);
  });
});
