import { describe, expect, it } from "vitest";
import { closeSharedDb } from "../../db/pool";
import { setDatabaseUrl } from "~/env.server";
import { pickLocale, tFor } from "~/i18n/i18n";
import { en } from "~/i18n/en";
import { fr } from "~/i18n/fr";
import * as healthz from "~/routes/healthz";
import { isSameOrigin } from "~/server/security.server";
import { navItems } from "~/components/layout";
import { context } from "../factories";

describe("language", () => {
  it("takes the user's preference, then the browser's, then French", () => {
    expect(pickLocale("en", "fr-FR,fr;q=0.9")).toBe("en");
    expect(pickLocale(null, "de-DE,en-GB;q=0.8,fr;q=0.5")).toBe("en");
    expect(pickLocale(null, "fr-CA,en;q=0.5")).toBe("fr");
    expect(pickLocale(undefined, "de,es;q=0.5")).toBe("fr");
    expect(pickLocale(null, null)).toBe("fr");
  });

  it("has every French message in English too, and no empty one", () => {
    const keys = (o: object, prefix = ""): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === "string" ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)));
    expect(keys(en).sort()).toEqual(keys(fr).sort());
    for (const key of keys(fr)) {
      expect(tFor("fr")(key), key).not.toBe("");
      expect(tFor("en")(key), key).not.toBe(key);
    }
  });
});

describe("CSRF: the Origin check", () => {
  const own = "https://intranet.example.org";
  it("lets safe methods through and same-origin writes", () => {
    expect(isSameOrigin("GET", undefined, own)).toBe(true);
    expect(isSameOrigin("HEAD", "https://evil.example", own)).toBe(true);
    expect(isSameOrigin("POST", own, own)).toBe(true);
  });
  it("refuses a write with a foreign, missing or opaque Origin", () => {
    expect(isSameOrigin("POST", "https://evil.example", own)).toBe(false);
    expect(isSameOrigin("POST", undefined, own)).toBe(false);
    expect(isSameOrigin("DELETE", "null", own)).toBe(false);
    expect(isSameOrigin("POST", "http://intranet.example.org", own)).toBe(false);
  });
});

describe("navigation by role", () => {
  it("shows review to comms, administration to admins only, and writing to all but admins", () => {
    const of = (role: Parameters<typeof navItems>[0]) => navItems(role).map((i) => i.to);
    expect(of("agent")).toEqual(["/", "/contributions/new", "/my", "/my/summary", "/search"]);
    // Statistics for those who see a department's or every department's (not agents).
    expect(of("manager")).toEqual([...of("agent"), "/statistics"]);
    expect(of("comms")).toContain("/review");
    expect(of("admin")).toEqual(["/", "/search", "/statistics", "/publishing", "/consents", "/admin/users", "/admin/departments", "/admin/audit", "/admin/register", "/admin/settings"]);
  });
});

describe("/healthz", () => {
  it("answers 200 {ok:true} with the database, 503 without", async () => {
    const up = await healthz.loader();
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ ok: true });
    const real = process.env.DATABASE_URL!;
    await closeSharedDb();
    setDatabaseUrl("postgres://nobody:x@127.0.0.1:9/none");
    try {
      const down = await healthz.loader();
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ ok: false });
    } finally {
      await closeSharedDb();
      setDatabaseUrl(real);
    }
    void context;
  });
});
