/**
 * The patched route matcher (patches/@remix-run+router+*.patch): branches are ranked once per route
 * tree, and a pathname only tries the branches its first segment can match. These are the CommonJS
 * files the server loads; the answers must be the ones the unpatched matcher gives.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const { matchRoutes } = require("@remix-run/router") as typeof import("@remix-run/router");

const routes = [
  {
    id: "root",
    path: "",
    children: [
      { id: "home", index: true },
      { id: "statistics", path: "statistics" },
      { id: "csv", path: "statistics.csv" },
      { id: "contribution", path: "contributions/:id" },
      { id: "new", path: "contributions/new" },
      { id: "layout", children: [{ id: "settings", path: "settings/security" }] },
      { id: "lang", path: ":lang/about" },
      { id: "optional", path: "docs?/guide" },
      { id: "Cased", path: "Cased", caseSensitive: true },
      { id: "splat", path: "*" },
    ],
  },
];

const ids = (pathname: string) => (matchRoutes(routes, pathname) ?? []).map((m) => m.route.id).join(">");

describe("route matching (patched)", () => {
  it("finds static, dynamic, optional, nested and index routes by their ranks", () => {
    expect(ids("/")).toBe("root>home");
    expect(ids("/statistics")).toBe("root>statistics");
    expect(ids("/STATISTICS/")).toBe("root>statistics");
    expect(ids("/statistics.csv")).toBe("root>csv");
    expect(ids("/contributions/42")).toBe("root>contribution");
    expect(ids("/contributions/new")).toBe("root>new");
    expect(ids("/settings/security")).toBe("root>layout>settings");
    // A first segment no static route has still reaches the dynamic and optional ones.
    expect(ids("/fr/about")).toBe("root>lang");
    expect(ids("/guide")).toBe("root>optional");
    expect(ids("/docs/guide")).toBe("root>optional");
    // A static first segment that matches no branch further on falls through to the splat.
    expect(ids("/statistics/extra")).toBe("root>splat");
  });

  it("keeps case sensitivity, encoded segments and odd slashes as they were", () => {
    expect(ids("/Cased")).toBe("root>Cased");
    expect(ids("/cased")).toBe("root>splat");
    expect(ids("/caf%C3%A9/about")).toBe("root>lang");
    expect(matchRoutes(routes, "/caf%C3%A9/about")?.[1].params.lang).toBe("café");
    expect(ids("//statistics")).toBe("root>splat");
    expect(ids("/nowhere")).toBe("root>splat");
  });

  it("answers the same for a new route tree (the indexes are per tree)", () => {
    const other = [{ id: "only", path: "statistics" }];
    expect((matchRoutes(other, "/statistics") ?? []).map((m) => m.route.id)).toEqual(["only"]);
    expect(matchRoutes(other, "/fr/about")).toBeNull();
  });
});
