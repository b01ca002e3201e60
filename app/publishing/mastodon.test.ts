import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMastodon, type MastodonStandin } from "../../tests/standins/mastodon";
import { DeliveryError, MAX_ATTEMPTS, nextAttemptAt, type DeliveryResult } from "./http.server";
import { deliverToMastodon, fetchInstanceLimits, mastodonProblem, findRecentPost, mastodonFocus, plainText, postStatus, uploadMedia, type MastodonPublication } from "./mastodon.server";

let instance: MastodonStandin;
const fast = { pollIntervalMs: 5, timeoutMs: 5_000 };
let photo: Buffer;

beforeEach(async () => {
  instance = await startMastodon();
  photo ??= await sharp({ create: { width: 64, height: 48, channels: 3, background: "#c05030" } }).jpeg().toBuffer();
});
afterEach(async () => {
  await instance?.close();
});

const account = () => ({ instanceUrl: instance.url, accessToken: instance.token });

function publication(overrides: Partial<MastodonPublication> = {}): MastodonPublication {
  return {
    text: "Fête de la science à la médiathèque : 42 ateliers ! https://www.example.org/actualites/fete-de-la-science-2026",
    media: [{ data: photo, filename: "atelier.jpg", mimeType: "image/jpeg", description: "Des enfants observent un papillon à la loupe.", focus: { x: 0.5, y: -0.25 } }],
    idempotencyKey: "relais-publication-17-4f9a",
    language: "fr",
    ...overrides,
  };
}

/** What the queue will do: try, and on "retry" try again with the same publication, up to MAX_ATTEMPTS. */
async function deliverWithRetries(pub: MastodonPublication): Promise<{ result: DeliveryResult; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const result = await deliverToMastodon(account(), pub, fast);
    if (result.kind !== "retry" || attempt >= MAX_ATTEMPTS) return { result, attempts: attempt };
  }
}

describe("Mastodon delivery", () => {
  it("reads the instance's limits", async () => {
    await instance.close();
    instance = await startMastodon({ limits: { maxCharacters: 5000, maxMedia: 6, descriptionLimit: 1000 } });
    expect(await fetchInstanceLimits(account())).toEqual({
      maxCharacters: 5000,
      maxMediaAttachments: 6,
      charactersReservedPerUrl: 23,
      descriptionLimit: 1000,
      imageSizeLimit: 16_777_216,
      supportedMimeTypes: ["image/jpeg", "image/png", "image/webp"],
    });
  });

  it("posts a status with its photo, alt text and focal point, waiting while the instance processes the photo", async () => {
    instance.mediaProcessing = 2; // 202, then 206 twice, then 200
    const result = await deliverToMastodon(account(), publication(), fast);
    expect(instance.statuses).toHaveLength(1);
    const [status] = instance.statuses;
    expect(result).toEqual({ kind: "published", id: status.id, url: `${instance.url}/@relais/${status.id}` });
    expect(status.text).toBe(publication().text);
    expect(status.language).toBe("fr");
    const [media] = [...instance.media.values()];
    expect(status.mediaIds).toEqual([media.id]);
    expect(media).toMatchObject({ description: "Des enfants observent un papillon à la loupe.", focus: "0.5,-0.25", size: photo.length, mimeType: "image/jpeg", attached: true });
    expect(instance.calls("GET /api/v1/media/:id").length).toBe(3);
    const [post] = instance.calls("POST /api/v1/statuses");
    expect(post.headers["idempotency-key"]).toBe("relais-publication-17-4f9a");
    expect(post.headers.authorization).toBe(`Bearer ${instance.token}`);
  });

  it("500 three times then 200: exactly one post, after four attempts with the same key", async () => {
    instance.fail("POST /api/v1/statuses", { status: 500, body: { error: "Internal server error" } }, 3);
    const { result, attempts } = await deliverWithRetries(publication());
    expect(attempts).toBe(4);
    expect(result.kind).toBe("published");
    expect(instance.statuses).toHaveLength(1);
    const posts = instance.calls("POST /api/v1/statuses");
    expect(posts).toHaveLength(4);
    expect(new Set(posts.map((p) => p.headers["idempotency-key"]))).toEqual(new Set(["relais-publication-17-4f9a"]));
  });

  it("a repeat within the hour, whose first answer was lost, gets the same status back", async () => {
    const first = await deliverToMastodon(account(), publication(), fast);
    const again = await deliverToMastodon(account(), publication(), fast);
    expect(again).toEqual(first);
    expect(instance.statuses).toHaveLength(1);
  });

  it("past the key's hour, a repeat finds the post among the account's statuses instead of posting twice", async () => {
    const firstAttemptAt = new Date();
    const first = await deliverToMastodon(account(), publication(), fast);
    instance.clock.now = new Date(Date.now() + 2 * 3600_000); // the instance has forgotten the key
    const later = { ...fast, now: instance.clock.now };
    const again = await deliverToMastodon(account(), publication({ firstAttemptAt }), later);
    expect(again).toEqual(first);
    expect(instance.statuses).toHaveLength(1);
    expect(instance.calls("POST /api/v1/statuses")).toHaveLength(1);
    expect(instance.calls("GET /api/v1/accounts/:id/statuses").length).toBeGreaterThan(0);

    // Without that look, the forgotten key would have let a second post through.
    await deliverToMastodon(account(), publication(), later);
    expect(instance.statuses).toHaveLength(2);
  });

  it("a status made whose answer was lost (the worker died waiting): the next try gets it back, no second post", async () => {
    instance.fail("POST /api/v1/statuses", { status: 200, passThrough: true, delayMs: 1_000 });
    const lost = await deliverToMastodon(account(), publication(), { ...fast, timeoutMs: 300 });
    expect(lost).toMatchObject({ kind: "retry", reason: expect.stringContaining("Pas de réponse complète") });
    expect(instance.statuses).toHaveLength(1);
    const again = await deliverToMastodon(account(), publication(), fast);
    expect(again).toEqual({ kind: "published", id: instance.statuses[0].id, url: instance.statuses[0].url });
    expect(instance.statuses).toHaveLength(1);
  });

  it("with the instance's limits, refuses what it would refuse before uploading anything", async () => {
    const limits = await fetchInstanceLimits(account());
    const link = "https://www.example.org/" + "tres-longue-adresse/".repeat(30);
    // 477 letters and a 600-character link: 500 as Mastodon counts.
    const fits = publication({ text: "a".repeat(476) + " " + link });
    expect(mastodonProblem(fits, limits)).toBeNull();
    expect(mastodonProblem({ ...fits, text: fits.text + "!" }, limits)).toBe("Le texte compte 501 caractères ; cette instance en accepte 500.");
    const noAlt = publication({ media: [{ ...publication().media[0], description: " " }] });
    expect(await deliverToMastodon(account(), noAlt, { ...fast, limits })).toEqual({ kind: "permanent", status: 0, message: "L'image 1 n'a pas de texte alternatif." });
    const five = publication({ media: Array(5).fill(publication().media[0]) });
    expect(await deliverToMastodon(account(), five, { ...fast, limits })).toMatchObject({ kind: "permanent", message: "5 images ; cette instance en accepte 4 par publication." });
    const heic = publication({ media: [{ ...publication().media[0], mimeType: "image/heic" }] });
    expect(mastodonProblem(heic, limits)).toBe("L'image 1 est au format image/heic, que cette instance n'accepte pas.");
    expect(instance.calls("POST /api/v2/media")).toHaveLength(0);
    expect((await deliverToMastodon(account(), fits, { ...fast, limits })).kind).toBe("published");
  });

  it("a 422 validation error is not retried, and carries the instance's message", async () => {
    const { result, attempts } = await deliverWithRetries(publication({ text: "é".repeat(501) }));
    expect(attempts).toBe(1);
    expect(result).toEqual({ kind: "permanent", status: 422, message: "Validation failed: Text character limit of 500 exceeded" });
    expect(instance.calls("POST /api/v1/statuses")).toHaveLength(1);
    expect(instance.statuses).toHaveLength(0);
  });

  it("a 422 'media not ready' is retried, in English or in the account's language", async () => {
    instance.fail("POST /api/v1/statuses", { status: 422, body: { error: "Cannot attach files that have not finished processing. Try again in a moment!" } });
    const { result, attempts } = await deliverWithRetries(publication());
    expect(attempts).toBe(2);
    expect(result.kind).toBe("published");
    expect(instance.statuses).toHaveLength(1);

    // French account: the message differs, the media's state (206) says it is still processing.
    instance.mediaProcessing = 50;
    const pending = await uploadMedia(account(), publication().media[0], { ...fast, maxProcessingMs: 0 }).catch((e: DeliveryError) => e);
    expect(pending).toBeInstanceOf(DeliveryError);
    expect((pending as DeliveryError).outcome.kind).toBe("retry");
    const stillProcessing = [...instance.media.values()].at(-1)!;
    expect(stillProcessing.processing).toBeGreaterThan(0);
    const french = { status: 422, body: { error: "Impossible de joindre des fichiers dont le traitement n’est pas terminé. Réessayez dans un instant !" } };
    instance.fail("POST /api/v1/statuses", french);
    const error = await postStatus(account(), { text: "Bonjour", mediaIds: [stillProcessing.id], idempotencyKey: "k-2" }, fast).catch((e: DeliveryError) => e);
    expect((error as DeliveryError).outcome).toMatchObject({ kind: "retry", reason: expect.stringContaining("Impossible de joindre") });
  });

  it("a 429 waits until X-RateLimit-Reset", async () => {
    const reset = new Date(Date.now() + 5 * 60_000);
    reset.setMilliseconds(0);
    instance.fail("POST /api/v1/statuses", {
      status: 429,
      headers: { "x-ratelimit-limit": "300", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset.toISOString() },
      body: { error: "Too many requests" },
    });
    const result = await deliverToMastodon(account(), publication(), fast);
    expect(result).toEqual({ kind: "retry", after: reset, reason: "HTTP 429 : Too many requests" });
    if (result.kind !== "retry") throw new Error("unreachable");
    expect(nextAttemptAt(1, result)!.getTime()).toBe(reset.getTime());
    expect(instance.statuses).toHaveLength(0);
  });

  it("a revoked token is permanent, with the instance's message", async () => {
    const result = await deliverToMastodon({ instanceUrl: instance.url, accessToken: "révoqué" }, publication(), fast);
    expect(result).toEqual({ kind: "permanent", status: 401, message: "The access token is invalid" });
  });

  it("findRecentPost reads the status's HTML back to its text, and ignores posts older than the first try", async () => {
    const text = "Concert « Jazz & Cie » ce soir\n\nPlus d'infos : https://www.example.org/agenda/concert-jazz-et-cie-2026-11-20";
    instance.addStatus(text, new Date(Date.now() - 3 * 86400_000)); // an earlier publication of the same words
    expect(await findRecentPost(account(), text, { since: new Date(Date.now() - 3600_000) })).toBeNull();
    const status = instance.addStatus(text, new Date());
    instance.addStatus("Autre chose", new Date());
    expect(await findRecentPost(account(), text, { since: new Date(Date.now() - 3600_000) })).toEqual({ id: status.id, url: status.url });
    expect(await findRecentPost(account(), "https://www.example.org/agenda/concert-jazz-et-cie-2026-11-20")).toEqual({ id: status.id, url: status.url });
    expect(await findRecentPost(account(), "Rien de tel")).toBeNull();
    expect(plainText('<p>A &amp; B&#39;s &lt;b&gt;<br />ligne&#x20AC;</p><p>suite</p>')).toBe("A & B's <b>\nligne€\nsuite");
  });

  it("converts a focal point from the top-left to Mastodon's centre-based focus, y upwards", () => {
    expect(mastodonFocus(0.5, 0.5)).toEqual({ x: 0, y: 0 });
    expect(mastodonFocus(0, 0)).toEqual({ x: -1, y: 1 });
    expect(mastodonFocus(1, 1)).toEqual({ x: 1, y: -1 });
    expect(mastodonFocus(0.75, 0.625)).toEqual({ x: 0.5, y: -0.25 });
    expect(mastodonFocus(1.3, -0.2)).toEqual({ x: 1, y: 1 });
  });
});
