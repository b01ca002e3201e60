import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../db/embedded";
import { DEMO_PASSWORD, launch, newContext, signIn as signInPage } from "./browser";
import { headerValues, raw, startServer, type RawResponse, type RunningServer } from "./server-process";

// Hostile and unusual HTTP, sent to real instances of scripts/server.ts (production build) started
// with the settings under test, on the database of the e2e server.
let database: EmbeddedPostgres;
const shared = () => ({ DATABASE_URL: database.url, UPLOADS_DIR: path.join(inject("e2eDataDir"), "uploads") });
const servers: RunningServer[] = [];

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

/** No stack trace, no server path, whatever went wrong. */
function expectNoTrace(r: RawResponse) {
  expect(r.body).not.toMatch(/node_modules|\/work\/|\bat [\w.<>]+ \(|:\d+:\d+\)|Error:/);
}

function expectSecurityHeaders(r: RawResponse) {
  expect(r.headers["content-security-policy"]).toContain("default-src 'self'");
  expect(headerValues(r, "X-Content-Type-Options")).toEqual(["nosniff"]);
  expect(r.headers["x-frame-options"]).toBe("DENY");
}

async function signIn(port: number, email = "agent@demo.relais"): Promise<string> {
  const origin = `http://127.0.0.1:${port}`;
  const r = await raw(port, "POST", "/login", { ...FORM, Origin: origin }, form({ email, password: DEMO_PASSWORD }));
  expect(r.status).toBe(302);
  return r.headers["set-cookie"]![0].split(";")[0];
}

describe.skipIf(inject("e2eSkip"))("HTTP hardening (real server, real HTTP)", () => {
  beforeAll(async () => {
    database = await startEmbeddedPostgres({ dataDir: path.join(inject("e2eDataDir"), "pg"), attach: true });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await database?.stop();
  });

  it("TRUST_PROXY=1 (the documented value) behind an HTTPS proxy: sign-in works, Secure cookie, HSTS, one throttle per client address", async () => {
    const server = await startServer({ NODE_ENV: "production", TRUST_PROXY: "1", ...shared() });
    servers.push(server);
    const viaProxy = (clientIp: string) => ({
      ...FORM,
      Host: "intranet.example.org",
      Origin: "https://intranet.example.org",
      "X-Forwarded-Proto": "https",
      "X-Forwarded-For": clientIp,
    });
    const signedIn = await raw(server.port, "POST", "/login", viaProxy("203.0.113.10"), form({ email: "agent@demo.relais", password: DEMO_PASSWORD }));
    expect(signedIn.status).toBe(302);
    const cookie = signedIn.headers["set-cookie"]!.find((c) => c.startsWith("relais_session="))!;
    expect(cookie).toMatch(/; Secure/i);
    expect(signedIn.headers["strict-transport-security"]).toMatch(/^max-age=\d+/);

    // Ten failures from one address (each with another e-mail, so that only the address counts).
    const run = Math.random().toString(36).slice(2, 8);
    const attempt = (ip: string, i: number) =>
      raw(server.port, "POST", "/login", viaProxy(ip), form({ email: `nobody-${run}-${i}@example.org`, password: "mauvais mot de passe" }));
    for (let i = 0; i < 10; i++) expect((await attempt("198.51.100.1", i)).status).toBe(401);
    const blocked = await attempt("198.51.100.1", 10);
    expect(blocked.status).toBe(429);
    expect(blocked.headers["retry-after"]).toMatch(/^\d+$/);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect((await attempt("198.51.100.2", 11)).status).toBe(401);

    // What the trusted proxy forwards is read, and checked like the rest.
    const forwardedCases: Record<string, string>[] = [{ "X-Forwarded-Host": "[bad" }, { "X-Forwarded-Host": "intranet.example.org:99999" }, { "X-Forwarded-Proto": "gopher" }];
    for (const headers of forwardedCases) {
      const r = await raw(server.port, "GET", "/login", headers);
      expect(r.status, JSON.stringify(headers)).toBe(400);
      expect(r.body).toContain("Requête invalide");
      expectNoTrace(r);
    }
    const forwarded = await raw(server.port, "GET", "/login?redirectTo=/my", { "X-Forwarded-Host": "intranet.example.org", "X-Forwarded-Proto": "https" });
    expect(forwarded.status).toBe(200);
    expect(forwarded.headers["strict-transport-security"]).toMatch(/^max-age=/);
  });

  for (const nodeEnv of ["production", "development", undefined]) {
    it(`answers hostile requests with a 4xx in French, security headers and no stack trace (NODE_ENV=${nodeEnv ?? "unset"})`, async () => {
      const server = await startServer({ NODE_ENV: nodeEnv, ...shared() });
      servers.push(server);
      const port = server.port;
      const origin = `http://127.0.0.1:${port}`;
      const cookie = await signIn(port);
      const asset = fs.readdirSync("build/client/assets").find((f) => f.endsWith(".js"))!;
      const unnamed = "--XX\r\nContent-Disposition: form-data\r\n\r\nvaleur\r\n--XX--\r\n";
      const cases: [string, () => Promise<RawResponse>, number, RegExp][] = [
        ["another application's cookie, badly %-encoded", () => raw(port, "GET", "/login", { Cookie: "other_app=50%" }), 200, /Connexion/],
        ["a session cookie badly %-encoded", () => raw(port, "GET", "/", { Cookie: "relais_session=%E0%A4%A" }), 302, /^/],
        ["signed in, beside another application's bad cookie", () => raw(port, "GET", "/my", { Cookie: `other_app=50%; ${cookie}` }), 200, /Mes contributions/],
        [
          "multipart without a boundary",
          () => raw(port, "POST", "/contributions/new", { Cookie: cookie, Origin: origin, "Content-Type": "multipart/form-data" }, "x"),
          400,
          /illisible/,
        ],
        [
          "multipart with an unnamed part",
          () => raw(port, "POST", "/contributions/new", { Cookie: cookie, Origin: origin, "Content-Type": "multipart/form-data; boundary=XX" }, unnamed),
          400,
          /illisible/,
        ],
        ["TRACE on the sign-in action", () => raw(port, "TRACE", "/login", { Origin: origin }), 405, /Méthode/],
        ["TRACE on a contribution form", () => raw(port, "TRACE", "/contributions/new", { Cookie: cookie, Origin: origin }), 405, /Méthode/],
        ["PROPFIND", () => raw(port, "PROPFIND", "/login", { Origin: origin }), 405, /Méthode/],
        ["a Host that is no host", () => raw(port, "GET", "/login", { Host: "[bad" }), 400, /Requête invalide/],
        ["a Host with an impossible port", () => raw(port, "GET", "/login", { Host: ":99999" }), 400, /Requête invalide/],
        ["X-Forwarded-Host without TRUST_PROXY (ignored)", () => raw(port, "GET", "/login", { "X-Forwarded-Host": "x:99999" }), 200, /Connexion/],
        ["X-Forwarded-Host [bad without TRUST_PROXY (ignored)", () => raw(port, "GET", "/login", { "X-Forwarded-Host": "[bad" }), 200, /Connexion/],
        ["a path with a bad %-encoding", () => raw(port, "GET", "/%E0%A4%A"), 400, /Requête invalide/],
        ["an unsatisfiable Range on an asset", () => raw(port, "GET", `/assets/${asset}`, { Range: "bytes=999999999-" }), 416, /Plage/],
        // Static files are served by name (scripts/server.ts); every other URL goes to Remix.
        ["a public file", () => raw(port, "GET", "/favicon.svg"), 200, /^<svg /],
        ["a public file's name under another folder", () => raw(port, "GET", "/admin/favicon.svg", { Cookie: cookie }), 404, /introuvable/i],
      ];
      for (const [name, send, status, text] of cases) {
        const r = await send();
        expect(r.status, `${name}: ${r.body.slice(0, 300)}`).toBe(status);
        expect(r.body, name).toMatch(text);
        expectNoTrace(r);
        expectSecurityHeaders(r);
      }
      expect((await raw(port, "GET", "/favicon.svg")).headers["cache-control"]).toBe("public, max-age=3600");
      const script = await raw(port, "GET", `/assets/${asset}`);
      expect(script.status).toBe(200);
      expect(script.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      // X-Forwarded-Host without TRUST_PROXY changes nothing: a sign-in from the real origin works.
      const login = await raw(port, "POST", "/login", { ...FORM, Origin: origin, "X-Forwarded-Host": "evil.example" }, form({ email: "agent@demo.relais", password: DEMO_PASSWORD }));
      expect(login.status).toBe(302);
      expect(server.output()).not.toMatch(/Invalid URL|HTTP method is unsupported/);
    });
  }

  it("sends X-Content-Type-Options once on a photo", async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT p.id FROM photo p JOIN contribution c ON c.id = p.contribution_id WHERE c.status = 'approved' AND c.visibility = 'organisation' LIMIT 1",
    );
    await client.end();
    expect(rows).toHaveLength(1);
    const server = servers[0];
    const cookie = await signIn(server.port);
    const photo = await raw(server.port, "GET", `/photos/${rows[0].id}/thumb`, { Cookie: cookie });
    expect(photo.status).toBe(200);
    expect(headerValues(photo, "X-Content-Type-Options")).toEqual(["nosniff"]);
  });

  it("trips no Content-Security-Policy in the browser (zod's eval probe), on the pages with forms", async () => {
    const browser = await launch();
    try {
      const { context } = await newContext(browser, inject("e2eBaseUrl"));
      const page = await context.newPage();
      const violations: string[] = [];
      page.on("console", (m) => /Content Security Policy|unsafe-eval/i.test(m.text()) && violations.push(m.text()));
      await context.exposeFunction("reportViolation", (v: string) => violations.push(v));
      await context.addInitScript(() =>
        document.addEventListener("securitypolicyviolation", (e) => (window as unknown as { reportViolation: (v: string) => void }).reportViolation(`${e.violatedDirective} ${e.blockedURI}`)),
      );
      await signInPage(page, "agent@demo.relais");
      for (const url of ["/contributions/new", "/search", "/settings", "/my"]) {
        await page.goto(url);
        await page.waitForLoadState("networkidle");
      }
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
