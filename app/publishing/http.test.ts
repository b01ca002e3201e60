import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Scripts, startStandin, type Standin } from "../../tests/standins/http";
import { classify, DeliveryError, MAX_ATTEMPTS, nextAttemptAt, retryAfter, retryDelayMs, send, type Answer } from "./http.server";

let site: Standin;
let elsewhere: Standin;
const scripts = new Scripts();

beforeAll(async () => {
  elsewhere = await startStandin((method, url) => `${method} ${url.pathname}`, () => ({ status: 200, body: "elsewhere" }), new Scripts());
  site = await startStandin((method, url) => `${method} ${url.pathname}`, () => ({ status: 200, body: { ok: true } }), scripts);
});
afterAll(async () => {
  await site?.close();
  await elsewhere?.close();
});

async function failureOf(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DeliveryError) return error;
    throw error;
  }
  throw new Error("no DeliveryError");
}

function answer(status: number, headers: Record<string, string> = {}, body = ""): Answer {
  return { status, headers: new Headers(headers), body: Buffer.from(body) };
}

describe("send", () => {
  it("returns the answer of any status, body included", async () => {
    const ok = await send(`${site.url}/ok`);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString())).toEqual({ ok: true });
    scripts.fail("GET /missing", { status: 404, body: { error: "Record not found" } });
    const missing = await send(`${site.url}/missing`);
    expect(missing.status).toBe(404);
  });

  it("refuses a redirect without following it", async () => {
    scripts.fail("POST /moved", { status: 301, headers: { location: `${elsewhere.url}/new` } });
    const error = await failureOf(send(`${site.url}/moved`, { method: "POST", body: "{}" }));
    expect(error.outcome).toEqual({ kind: "permanent", status: 301, message: expect.stringContaining("Redirection refusée (301 vers") });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("cuts an endless answer past the size limit, and does not read it all", async () => {
    scripts.fail("GET /endless", { status: 200, endless: true });
    const started = Date.now();
    const error = await failureOf(send(`${site.url}/endless`, { maxBytes: 200_000, timeoutMs: 10_000 }));
    expect(error.outcome).toMatchObject({ kind: "permanent", status: 200, message: expect.stringContaining("Réponse trop volumineuse (plus de 200000 octets)") });
    expect(Date.now() - started).toBeLessThan(5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Socket buffers hold a few hundred kilobytes at most; reading on would have meant gigabytes.
    expect(site.endlessBytesSent).toBeLessThan(20_000_000);
  });

  it("refuses an answer that declares a size past the limit, before reading it", async () => {
    scripts.fail("GET /big", { status: 200, body: "x".repeat(300_000) });
    const error = await failureOf(send(`${site.url}/big`, { maxBytes: 100_000 }));
    expect(error.outcome).toMatchObject({ kind: "permanent", message: expect.stringContaining("trop volumineuse") });
    const fits = await send(`${site.url}/ok`, { maxBytes: 100_000 });
    expect(fits.status).toBe(200);
  });

  it("a slow answer is a timeout, to retry", async () => {
    scripts.fail("GET /slow", { status: 200, delayMs: 2_000, body: "late" });
    const started = Date.now();
    const error = await failureOf(send(`${site.url}/slow`, { timeoutMs: 300 }));
    expect(error.outcome).toEqual({ kind: "retry", reason: expect.stringContaining("Pas de réponse complète") });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("a refused connection is to retry; a bad address is permanent", async () => {
    const gone = await startStandin(() => "x", () => ({ status: 200 }), new Scripts());
    const url = gone.url;
    await gone.close();
    const refused = await failureOf(send(url));
    expect(refused.outcome).toEqual({ kind: "retry", reason: expect.stringMatching(/Échec de connexion .*ECONNREFUSED/) });
    for (const bad of ["ftp://example.org/", "not a url", "https://user:pw@example.org/"]) {
      expect((await failureOf(send(bad))).outcome).toMatchObject({ kind: "permanent", status: 0 });
    }
  });
});

describe("classify", () => {
  const now = new Date("2026-11-20T10:00:00Z");

  it("2xx ok; 4xx permanent with the network's message; 408, 425, 429 and 5xx retried", () => {
    expect(classify(answer(200), { now })).toEqual({ kind: "ok" });
    expect(classify(answer(206), { now })).toEqual({ kind: "ok" });
    expect(classify(answer(422, { "content-type": "application/json" }, '{"error":"Validation failed: Text character limit of 500 exceeded"}'), { now })).toEqual({
      kind: "permanent",
      status: 422,
      message: "Validation failed: Text character limit of 500 exceeded",
    });
    expect(classify(answer(401, {}, "<html>\n\tnope\n</html>"), { now })).toEqual({ kind: "permanent", status: 401, message: "<html> nope </html>" });
    for (const status of [400, 403, 404, 410, 413]) expect(classify(answer(status), { now }).kind, String(status)).toBe("permanent");
    for (const status of [408, 425, 429, 500, 502, 503, 504]) expect(classify(answer(status), { now }).kind, String(status)).toBe("retry");
    expect(classify(answer(302), { now }).kind).toBe("permanent");
  });

  it("a 4xx the network says is temporary is retried", () => {
    const notReady = answer(422, {}, '{"error":"Cannot attach files that have not finished processing. Try again in a moment!"}');
    const retryable = (a: Answer) => a.body.toString().includes("not finished processing");
    expect(classify(notReady, { now, retryable })).toMatchObject({ kind: "retry", reason: expect.stringContaining("HTTP 422") });
    expect(classify(answer(422, {}, '{"error":"Validation failed"}'), { now, retryable }).kind).toBe("permanent");
  });

  it("an answer saying the post already exists is a duplicate: an earlier try posted it", () => {
    const duplicate = (a: Answer) => a.body.toString().includes("InvalidSwap");
    expect(classify(answer(400, {}, '{"error":"InvalidSwap","message":"Record was at bafy…"}'), { now, duplicate })).toEqual({ kind: "duplicate" });
    expect(classify(answer(400, {}, '{"error":"InvalidRequest"}'), { now, duplicate }).kind).toBe("permanent");
    expect(classify(answer(500, {}, "InvalidSwap"), { now, duplicate }).kind).toBe("retry");
  });

  it("honours Retry-After (seconds or HTTP date), Mastodon's X-RateLimit-Reset and Bluesky's RateLimit-Reset", () => {
    expect(classify(answer(429, { "x-ratelimit-reset": "2026-11-20T10:05:00.000Z", "x-ratelimit-remaining": "0" }), { now })).toEqual({
      kind: "retry",
      after: new Date("2026-11-20T10:05:00Z"),
      reason: "HTTP 429 : HTTP 429",
    });
    expect(retryAfter(new Headers({ "retry-after": "120" }), now)).toEqual(new Date("2026-11-20T10:02:00Z"));
    expect(retryAfter(new Headers({ "retry-after": "Fri, 20 Nov 2026 11:00:00 GMT" }), now)).toEqual(new Date("2026-11-20T11:00:00Z"));
    expect(retryAfter(new Headers({ "ratelimit-reset": String(Date.parse("2026-11-20T10:30:00Z") / 1000) }), now)).toEqual(new Date("2026-11-20T10:30:00Z"));
    expect(classify(answer(503, { "retry-after": "30" }), { now })).toMatchObject({ kind: "retry", after: new Date("2026-11-20T10:00:30Z") });
    // A date past, or nonsense, asks for nothing; a wait of a year is capped at a day.
    expect(retryAfter(new Headers({ "x-ratelimit-reset": "2026-11-20T09:00:00Z" }), now)).toBeUndefined();
    expect(retryAfter(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfter(new Headers({ "retry-after": String(365 * 86400) }), now)).toEqual(new Date("2026-11-21T10:00:00Z"));
  });
});

describe("retry schedule", () => {
  it("grows, with ± 20 % jitter, and stops after MAX_ATTEMPTS tries", () => {
    const low = () => 0;
    const high = () => 0.999999;
    const middle = () => 0.5;
    expect(retryDelayMs(1, middle)).toBe(5_000);
    expect(retryDelayMs(1, low)).toBe(4_000);
    expect(retryDelayMs(1, high)).toBe(6_000);
    const delays = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => retryDelayMs(i + 1, middle)!);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total / 3600_000).toBeGreaterThan(15);
    expect(total / 3600_000).toBeLessThan(17);
    expect(retryDelayMs(MAX_ATTEMPTS, middle)).toBeNull();
    expect(retryDelayMs(0, middle)).toBeNull();
    const jittered = new Set(Array.from({ length: 20 }, () => retryDelayMs(3)));
    expect(jittered.size).toBeGreaterThan(1);
  });

  it("waits until the network's reset when that is later than the schedule", () => {
    const now = new Date("2026-11-20T10:00:00Z");
    const reset = new Date("2026-11-20T10:05:00Z");
    expect(nextAttemptAt(1, { kind: "retry", after: reset, reason: "429" }, now, () => 0.5)).toEqual(reset);
    expect(nextAttemptAt(6, { kind: "retry", after: reset, reason: "429" }, now, () => 0.5)).toEqual(new Date("2026-11-20T11:00:00Z"));
    expect(nextAttemptAt(1, { kind: "retry", reason: "500" }, now, () => 0.5)).toEqual(new Date("2026-11-20T10:00:05Z"));
    expect(nextAttemptAt(MAX_ATTEMPTS, { kind: "retry", reason: "500" }, now)).toBeNull();
  });
});
