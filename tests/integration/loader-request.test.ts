/**
 * The patched loader call (patches/@remix-run+server-runtime+*.patch): the loaders of one request get
 * that very Request when it has no parameter Remix strips (so the session is read once per page,
 * app/auth/guards.server.ts), and a stripped copy when it has. The CommonJS file the server loads.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const { callRouteLoader, callRouteAction } = require("@remix-run/server-runtime/dist/data.js") as {
  callRouteLoader: (args: object) => Promise<unknown>;
  callRouteAction: (args: object) => Promise<unknown>;
};

async function seen(call: typeof callRouteLoader, request: Request, singleFetch = true): Promise<Request> {
  let given: Request | undefined;
  const keep = (args: { request: Request }) => ((given = args.request), null);
  await call({ request, singleFetch, loadContext: {}, params: {}, routeId: "root", loader: keep, action: keep });
  return given!;
}

describe("the Request a loader gets (patched)", () => {
  it("is the request itself when there is nothing to strip, for every loader of the page", async () => {
    for (const url of ["http://relais.test/publishing", "http://relais.test/publishing?view=month&at=2026-11-30", "http://relais.test/?indexed=1"]) {
      const request = new Request(url, { headers: { cookie: "relais_session=abc" } });
      expect(await seen(callRouteLoader, request)).toBe(request);
      expect(await seen(callRouteLoader, request)).toBe(request);
    }
  });

  it("strips Remix's own parameters as before, keeping the others and the body", async () => {
    const index = new Request("http://relais.test/review?index&department=3&_routes=root");
    const stripped = await seen(callRouteLoader, index);
    expect(stripped).not.toBe(index);
    expect(stripped.url).toBe("http://relais.test/review?department=3");
    expect((await seen(callRouteLoader, new Request("http://relais.test/?_data=root&q=1"), false)).url).toBe("http://relais.test/?q=1");
    // A non-empty index value is the app's own, and stays.
    expect((await seen(callRouteLoader, new Request("http://relais.test/?index=2"))).url).toBe("http://relais.test/?index=2");

    const post = new Request("http://relais.test/publishing?index", { method: "POST", body: "intent=cancel&id=4", headers: { "content-type": "application/x-www-form-urlencoded" } });
    const sent = await seen(callRouteAction, post);
    expect(sent.url).toBe("http://relais.test/publishing");
    expect(await sent.text()).toBe("intent=cancel&id=4");
    const plain = new Request("http://relais.test/publishing", { method: "POST", body: "intent=retry&id=5" });
    expect(await seen(callRouteAction, plain)).toBe(plain);
  });
});
