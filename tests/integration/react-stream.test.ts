/**
 * React's streamed rendering as patched (patches/react-dom+18.3.1.patch): the chunks of a flush are
 * encoded once as one string. Both builds the server may load (production, and development under
 * `npm run dev`) must give exactly what renderToString gives, with no NUL byte where React 18.3.1's
 * 2 KB views split a multi-byte character (react#31134), and still stream a suspended part later.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { createElement as h, Suspense, type ReactElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { streamedHtml } from "../streamed-html";

const require = createRequire(import.meta.url);
type Server = typeof import("react-dom/server");
// The files themselves (the package's exports pick one by NODE_ENV).
const cjs = path.join(path.dirname(require.resolve("react-dom/package.json")), "cjs");
const builds: [string, Server][] = [
  ["production", require(path.join(cjs, "react-dom-server.node.production.min.js")) as Server],
  ["development", require(path.join(cjs, "react-dom-server.node.development.js")) as Server],
];

/** Rows of French text whose accents and quotes fall across every 2 KB boundary, and a long script. */
function page(rows: number, extra?: ReactElement) {
  return h(
    "main",
    { lang: "fr" },
    h("h1", null, "Fête « d’été » à l’école 🎉"),
    h(
      "table",
      null,
      h(
        "tbody",
        null,
        Array.from({ length: rows }, (_, i) =>
          h("tr", { key: i, className: `r${i}` }, h("th", { scope: "row" }, `Élève ${i} ’ « » é`), h("td", { "data-x": '"q"' }, i * 3.5), h("td", null, "x".repeat(i % 700))),
        ),
      ),
    ),
    h("script", { dangerouslySetInnerHTML: { __html: `window.x = ${JSON.stringify("a".repeat(40_000) + "é")}` } }),
    extra,
  );
}

const stream = (server: Server, element: ReactElement) => streamedHtml(server.renderToPipeableStream, element);

describe("React's streamed rendering (patched)", () => {
  for (const [name, server] of builds) {
    it(`${name}: the same bytes as renderToString, no NUL, in a few writes`, async () => {
      for (const rows of [0, 1, 40, 600]) {
        const { html, writes } = await stream(server, page(rows));
        expect(html).toBe(renderToString(page(rows)));
        expect(html).not.toContain("\u0000");
        expect(html).toContain("Fête « d’été » à l’école 🎉");
        if (rows === 600) expect(writes).toBeLessThan(Buffer.byteLength(html) / 8_000);
      }
    });

    it(`${name}: a suspended part still comes after the shell`, async () => {
      let text: string | undefined;
      let later: Promise<void> | undefined;
      function Late() {
        // The wait starts when React meets it, while rendering the shell: started before the render,
        // its timer could fire first on a loaded machine (React's work is scheduled after timers),
        // and the part would then be in the shell, with no fallback to come after.
        later ??= new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => {
          text = "Arrivé plus tard « é »";
        });
        if (text === undefined) throw later;
        return h("p", null, text);
      }
      const { html } = await stream(server, page(40, h(Suspense, { fallback: h("span", null, "Chargement…") }, h(Late))));
      expect(html).toContain("Chargement…");
      expect(html.indexOf("Arrivé plus tard « é »")).toBeGreaterThan(html.indexOf("Chargement…"));
      expect(html).not.toContain("\u0000");
    });
  }
});
