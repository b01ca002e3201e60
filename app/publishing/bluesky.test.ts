import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startBluesky, type BlueskyStandin } from "../../tests/standins/bluesky";
import { MAX_ATTEMPTS, type DeliveryResult } from "./http.server";
import { countGraphemes } from "./text-length";
import { deliverToBluesky, facetsOf, isTid, newTid, type BlueskyPublication } from "./bluesky.server";

let pds: BlueskyStandin;
let photo: Buffer;
const putRecord = "POST /xrpc/com.atproto.repo.putRecord";

beforeEach(async () => {
  pds = await startBluesky();
  photo ??= await sharp({ create: { width: 120, height: 80, channels: 3, background: "#3060c0" } }).jpeg().toBuffer();
});
afterEach(async () => {
  await pds?.close();
});

const account = () => ({ service: pds.url, identifier: pds.handle, appPassword: pds.appPassword });
const rkey = newTid(new Date("2026-11-20T18:00:00Z"));

function publication(overrides: Partial<BlueskyPublication> = {}): BlueskyPublication {
  return {
    text: "Été culturel : le programme est en ligne → https://www.example.org/été-2026. #Médiathèque",
    images: [{ data: photo, mimeType: "image/jpeg", alt: "Affiche de l'été culturel, soleil orange sur fond bleu.", width: 1200, height: 800 }],
    rkey,
    createdAt: new Date("2026-11-20T18:00:00.000Z"),
    langs: ["fr"],
    ...overrides,
  };
}

async function deliverWithRetries(pub: BlueskyPublication): Promise<{ result: DeliveryResult; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const result = await deliverToBluesky(account(), pub, { timeoutMs: 5_000 });
    if (result.kind !== "retry" || attempt >= MAX_ATTEMPTS) return { result, attempts: attempt };
  }
}

describe("Bluesky delivery", () => {
  it("posts the text with its link and tag as facets and the image with alt text and aspect ratio", async () => {
    const result = await deliverToBluesky(account(), publication());
    const uri = `at://${pds.did}/app.bsky.feed.post/${rkey}`;
    expect(result).toEqual({ kind: "published", id: uri, url: `https://bsky.app/profile/${pds.did}/post/${rkey}` });
    const record = pds.records.get(rkey)!;
    expect(record.uri).toBe(uri);
    expect(record.value).toMatchObject({
      $type: "app.bsky.feed.post",
      text: publication().text,
      createdAt: "2026-11-20T18:00:00.000Z",
      langs: ["fr"],
      embed: {
        $type: "app.bsky.embed.images",
        images: [{ alt: "Affiche de l'été culturel, soleil orange sur fond bleu.", aspectRatio: { width: 1200, height: 800 }, image: { $type: "blob", mimeType: "image/jpeg", size: photo.length } }],
      },
    });
    const bytes = Buffer.from(record.value.text, "utf8");
    const spans = record.value.facets.map((f: any) => [bytes.subarray(f.index.byteStart, f.index.byteEnd).toString("utf8"), f.features[0]]);
    expect(spans).toEqual([
      ["https://www.example.org/été-2026", { $type: "app.bsky.richtext.facet#link", uri: "https://www.example.org/été-2026" }],
      ["#Médiathèque", { $type: "app.bsky.richtext.facet#tag", tag: "Médiathèque" }],
    ]);
  });

  it("500 three times then 200: exactly one record, after four attempts at the same record key", async () => {
    pds.fail(putRecord, { status: 500, body: { error: "InternalServerError", message: "Internal Server Error" } }, 3);
    const { result, attempts } = await deliverWithRetries(publication());
    expect(attempts).toBe(4);
    expect(result.kind).toBe("published");
    expect([...pds.records.keys()]).toEqual([rkey]);
    expect(pds.records.get(rkey)!.writes).toBe(1);
    expect(pds.calls(putRecord).map((r) => JSON.parse(r.body.toString()).rkey)).toEqual([rkey, rkey, rkey, rkey]);
  });

  it("a repeat after a lost answer lands on the same record and never overwrites it", async () => {
    const first = await deliverToBluesky(account(), publication());
    const again = await deliverToBluesky(account(), publication());
    expect(again).toEqual(first);
    expect(pds.records.size).toBe(1);
    expect(pds.records.get(rkey)!.writes).toBe(1);

    // Text edited in between: the PDS refuses to swap (InvalidSwap), which means already posted.
    const edited = await deliverToBluesky(account(), publication({ text: "Texte corrigé après coup" }));
    expect(edited).toEqual(first);
    expect(pds.records.get(rkey)!.value.text).toBe(publication().text);
    expect(pds.records.get(rkey)!.writes).toBe(1);
  });

  it("a record written whose answer was lost (the worker died waiting): the next try is a no-op on it", async () => {
    pds.fail(putRecord, { status: 200, passThrough: true, delayMs: 1_000 });
    const lost = await deliverToBluesky(account(), publication(), { timeoutMs: 300 });
    expect(lost).toMatchObject({ kind: "retry", reason: expect.stringContaining("Pas de réponse complète") });
    expect(pds.records.get(rkey)!.writes).toBe(1);
    const again = await deliverToBluesky(account(), publication());
    expect(again).toEqual({ kind: "published", id: `at://${pds.did}/app.bsky.feed.post/${rkey}`, url: `https://bsky.app/profile/${pds.did}/post/${rkey}` });
    expect(pds.records.size).toBe(1);
    expect(pds.records.get(rkey)!.writes).toBe(1);
  });

  it("refuses an image over 1,000,000 bytes, or without alt text, before sending anything", async () => {
    const big = Buffer.alloc(1_000_001, 1);
    const tooBig = await deliverToBluesky(account(), publication({ images: [{ ...publication().images[0], data: big }] }));
    expect(tooBig).toEqual({
      kind: "permanent",
      status: 0,
      message: "L'image 1 pèse 1000001 octets ; Bluesky en accepte 1000000 au plus : utilisez une déclinaison plus légère.",
    });
    const noAlt = await deliverToBluesky(account(), publication({ images: [{ ...publication().images[0], alt: "  " }] }));
    expect(noAlt).toMatchObject({ kind: "permanent", message: "L'image 1 n'a pas de texte alternatif." });
    expect(pds.requests).toHaveLength(0);
    const justFits = await deliverToBluesky(account(), publication({ images: [{ ...publication().images[0], data: Buffer.alloc(1_000_000, 1) }] }));
    expect(justFits.kind).toBe("published");
  });

  it("counts 300 graphemes, not code units: accents written as combining marks and emoji count once", async () => {
    expect(countGraphemes("e\u0301")).toBe(1);
    expect(countGraphemes("é")).toBe(1);
    expect(countGraphemes("👩‍👩‍👧‍👦")).toBe(1);
    expect(countGraphemes("👍🏽")).toBe(1);
    expect(countGraphemes("🇫🇷")).toBe(1);
    expect(countGraphemes("Fête 🇫🇷 !")).toBe(8);

    const combining = "e\u0301".repeat(300); // 600 code units, 900 bytes, 300 graphemes
    expect(combining.length).toBe(600);
    const fits = await deliverToBluesky(account(), publication({ text: combining, images: [] }));
    expect(fits.kind).toBe("published");
    const tooLong = await deliverToBluesky(account(), publication({ text: "🎉".repeat(301), images: [], rkey: newTid() }));
    expect(tooLong).toEqual({ kind: "permanent", status: 0, message: "Le texte fait 301 caractères ; Bluesky en accepte 300." });
    expect(pds.records.size).toBe(1);
  });

  it("facets carry UTF-8 byte offsets, after accented text", () => {
    expect(facetsOf("é https://a.fr")).toEqual([{ index: { byteStart: 3, byteEnd: 15 }, features: [{ $type: "app.bsky.richtext.facet#link", uri: "https://a.fr" }] }]);
    const text = "Réunion à l'Hôtel de Ville (voir https://www.example.org/évènements/réunion?id=3), puis #Café, #2026 et #été.";
    const bytes = Buffer.from(text, "utf8");
    const found = facetsOf(text).map((f) => ({ span: bytes.subarray(f.index.byteStart, f.index.byteEnd).toString("utf8"), feature: f.features[0] }));
    expect(found).toEqual([
      { span: "https://www.example.org/évènements/réunion?id=3", feature: { $type: "app.bsky.richtext.facet#link", uri: "https://www.example.org/évènements/réunion?id=3" } },
      { span: "#Café", feature: { $type: "app.bsky.richtext.facet#tag", tag: "Café" } },
      { span: "#été", feature: { $type: "app.bsky.richtext.facet#tag", tag: "été" } },
    ]);
    // é, à and ô before the link take two bytes each: code-unit offsets would be 3 short.
    expect(facetsOf(text)[0].index.byteStart).toBe(text.indexOf("https") + 3);
  });

  it("a wrong app password is permanent; a rate limit waits until RateLimit-Reset", async () => {
    const refused = await deliverToBluesky({ ...account(), appPassword: "mauvais" }, publication());
    expect(refused).toEqual({ kind: "permanent", status: 401, message: "Identifiant ou mot de passe d'application refusé par Bluesky (AuthenticationRequired : Invalid identifier or password)." });
    const reset = Math.ceil(Date.now() / 1000) + 600;
    pds.fail(putRecord, { status: 429, headers: { "ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": String(reset) }, body: { error: "RateLimitExceeded", message: "Rate Limit Exceeded" } });
    const limited = await deliverToBluesky(account(), publication());
    expect(limited).toEqual({ kind: "retry", after: new Date(reset * 1000), reason: "HTTP 429 : RateLimitExceeded : Rate Limit Exceeded" });
    expect(pds.records.size).toBe(0);
  });

  it("record keys are TIDs, sortable by time", () => {
    const early = newTid(new Date("2026-01-01T00:00:00Z"), 0);
    const late = newTid(new Date("2026-06-01T00:00:00Z"), 1023);
    expect(isTid(early) && isTid(late)).toBe(true);
    expect(early.length).toBe(13);
    expect(early < late).toBe(true);
    expect(isTid("not-a-tid")).toBe(false);
    expect(new Set(Array.from({ length: 100 }, () => newTid())).size).toBe(100);
  });
});
