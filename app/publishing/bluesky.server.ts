import { randomInt } from "node:crypto";
import { countGraphemes, linksOf } from "./text-length";
import { classify, DeliveryError, expectOk, jsonOf, messageOf, send, type Answer, type DeliveryResult } from "./http.server";

// A Bluesky account, through its PDS's XRPC endpoints (bluesky-social/atproto lexicons):
// com.atproto.server.createSession, com.atproto.repo.uploadBlob, com.atproto.repo.putRecord.
// A repeat never posts twice: the record key is chosen once per publication (a TID the caller
// stores) and the record is the same at every try (same createdAt, same blobs), so the PDS treats
// a repeat as a no-op; `swapRecord: null` makes it refuse to overwrite a different one.

export interface BlueskyAccount {
  /** The account's PDS; https://bsky.social for accounts hosted by Bluesky. */
  service?: string;
  /** handle.bsky.social, or the account's e-mail. */
  identifier: string;
  /** An app password (Settings → App passwords), never the account's own. */
  appPassword: string;
}

export interface BlueskySession {
  service: string;
  did: string;
  handle: string;
  accessJwt: string;
}

export interface BlueskyImage {
  data: Buffer;
  mimeType: string;
  /** Alt text, required. */
  alt: string;
  width: number;
  height: number;
}

export interface BlueskyOptions {
  timeoutMs?: number;
}

export const BLUESKY_MAX_GRAPHEMES = 300;
/** app.bsky.feed.post's text maxLength: UTF-8 bytes. */
const BLUESKY_MAX_TEXT_BYTES = 3000;
/** app.bsky.embed.images: blob maxSize. */
export const BLUESKY_MAX_IMAGE_BYTES = 1_000_000;
export const BLUESKY_MAX_IMAGES = 4;
const COLLECTION = "app.bsky.feed.post";

const S32 = "234567abcdefghijklmnopqrstuvwxyz";

/**
 * A new record key: a TID (microseconds since 1970 and a 10-bit clock id, in sortable base32,
 * 13 characters). Chosen once per publication and stored, so every try writes the same record.
 */
export function newTid(now: Date = new Date(), clockId: number = randomInt(1024)): string {
  const micros = BigInt(now.getTime()) * 1000n + BigInt(randomInt(1000));
  let value = (micros << 10n) | BigInt(clockId & 1023);
  let text = "";
  for (let i = 0; i < 13; i++) {
    text = S32[Number(value & 31n)] + text;
    value >>= 5n;
  }
  return text;
}

export function isTid(text: string): boolean {
  return /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/.test(text);
}

export type Facet = {
  index: { byteStart: number; byteEnd: number };
  features: ({ $type: "app.bsky.richtext.facet#link"; uri: string } | { $type: "app.bsky.richtext.facet#tag"; tag: string })[];
};

const byteOffset = (text: string, index: number) => Buffer.byteLength(text.slice(0, index), "utf8");

/**
 * Links and hashtags of the text as facets, with the UTF-8 byte offsets Bluesky wants (an "é"
 * before a link moves it by two bytes, not one). Trailing punctuation is left out of a link.
 */
export function facetsOf(text: string): Facet[] {
  const facets: Facet[] = [];
  for (const { index, url } of linksOf(text)) {
    facets.push({
      index: { byteStart: byteOffset(text, index), byteEnd: byteOffset(text, index + url.length) },
      features: [{ $type: "app.bsky.richtext.facet#link", uri: url }],
    });
  }
  for (const match of text.matchAll(/(^|\s)#([^\s#]+)/gu)) {
    const tag = match[2].replace(/[.,;:!?…)»"'’]+$/u, "");
    // "#1" is a rank, not a tag; Bluesky caps tags at 64 graphemes.
    if (!tag || /^\d+$/.test(tag) || countGraphemes(tag) > 64) continue;
    const start = match.index! + match[1].length;
    facets.push({
      index: { byteStart: byteOffset(text, start), byteEnd: byteOffset(text, start + 1 + tag.length) },
      features: [{ $type: "app.bsky.richtext.facet#tag", tag }],
    });
  }
  return facets.sort((a, b) => a.index.byteStart - b.index.byteStart);
}

/** The post's page on bsky.app, from its at:// URI (by DID, which survives a change of handle). */
export function bskyAppUrl(uri: string): string {
  const match = /^at:\/\/(did:[a-z]+:[A-Za-z0-9._:%-]+)\/app\.bsky\.feed\.post\/([A-Za-z0-9._:~-]+)$/.exec(uri);
  if (!match) throw new DeliveryError({ kind: "permanent", status: 0, message: `Adresse de publication Bluesky inattendue : ${uri.slice(0, 200)}` });
  return `https://bsky.app/profile/${match[1]}/post/${match[2]}`;
}

function xrpc(service: string, method: string): string {
  return `${service.replace(/\/+$/, "")}/xrpc/${method}`;
}

/** What is wrong with a publication before anything is sent, or null. */
export function blueskyProblem(text: string, images: BlueskyImage[], rkey: string): string | null {
  const graphemes = countGraphemes(text);
  if (graphemes > BLUESKY_MAX_GRAPHEMES) return `Le texte fait ${graphemes} caractères ; Bluesky en accepte ${BLUESKY_MAX_GRAPHEMES}.`;
  if (Buffer.byteLength(text, "utf8") > BLUESKY_MAX_TEXT_BYTES) return `Le texte dépasse ${BLUESKY_MAX_TEXT_BYTES} octets ; Bluesky le refuserait.`;
  if (images.length > BLUESKY_MAX_IMAGES) return `${images.length} images ; Bluesky en accepte ${BLUESKY_MAX_IMAGES}.`;
  for (const [i, image] of images.entries()) {
    if (image.data.length > BLUESKY_MAX_IMAGE_BYTES) {
      return `L'image ${i + 1} pèse ${image.data.length} octets ; Bluesky en accepte ${BLUESKY_MAX_IMAGE_BYTES} au plus : utilisez une déclinaison plus légère.`;
    }
    if (!image.alt.trim()) return `L'image ${i + 1} n'a pas de texte alternatif.`;
    if (!(Number.isInteger(image.width) && Number.isInteger(image.height) && image.width > 0 && image.height > 0)) {
      return `L'image ${i + 1} n'a pas de dimensions valides.`;
    }
  }
  if (!isTid(rkey)) return "Clé d'enregistrement invalide (un TID de 13 caractères attendu).";
  return null;
}

/** Opens a session with the handle and app password (`com.atproto.server.createSession`). */
export async function createSession(account: BlueskyAccount, options: BlueskyOptions = {}): Promise<BlueskySession> {
  const service = account.service ?? "https://bsky.social";
  const answer = await send(xrpc(service, "com.atproto.server.createSession"), {
    ...options,
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ identifier: account.identifier, password: account.appPassword }),
  });
  if (answer.status === 401) {
    throw new DeliveryError({ kind: "permanent", status: 401, message: `Identifiant ou mot de passe d'application refusé par Bluesky (${messageOf(answer)}).` });
  }
  const session = jsonOf(expectOk(answer)) as Partial<BlueskySession> | undefined;
  if (typeof session?.did !== "string" || typeof session.accessJwt !== "string") {
    throw new DeliveryError({ kind: "retry", reason: "Réponse de Bluesky sans session." });
  }
  return { service, did: session.did, handle: String(session.handle ?? account.identifier), accessJwt: session.accessJwt };
}

function authorised(session: BlueskySession, headers: Record<string, string> = {}) {
  return { authorization: `Bearer ${session.accessJwt}`, accept: "application/json", ...headers };
}

/** Uploads one image (`com.atproto.repo.uploadBlob`); returns the blob reference to embed. Refuses one over 1,000,000 bytes. */
export async function uploadBlob(session: BlueskySession, image: Pick<BlueskyImage, "data" | "mimeType">, options: BlueskyOptions = {}): Promise<unknown> {
  if (image.data.length > BLUESKY_MAX_IMAGE_BYTES) {
    throw new DeliveryError({ kind: "permanent", status: 0, message: `Image de ${image.data.length} octets : Bluesky en accepte ${BLUESKY_MAX_IMAGE_BYTES} au plus.` });
  }
  const answer = expectOk(
    await send(xrpc(session.service, "com.atproto.repo.uploadBlob"), {
      ...options,
      method: "POST",
      headers: authorised(session, { "content-type": image.mimeType }),
      body: image.data,
      timeoutMs: options.timeoutMs ?? 60_000,
    }),
  );
  const blob = (jsonOf(answer) as { blob?: unknown } | undefined)?.blob;
  if (!blob || typeof blob !== "object") throw new DeliveryError({ kind: "retry", reason: "Réponse de Bluesky sans référence d'image." });
  return blob;
}

/**
 * Writes the post at `rkey` (`com.atproto.repo.putRecord`, swapRecord null: create, or no-op
 * when the same record is already there). A different record already at that key answers
 * InvalidSwap: the publication was posted by an earlier try, so it counts as published.
 */
export async function putPost(
  session: BlueskySession,
  rkey: string,
  record: Record<string, unknown>,
  options: BlueskyOptions = {},
): Promise<{ uri: string; duplicate: boolean }> {
  const answer: Answer = await send(xrpc(session.service, "com.atproto.repo.putRecord"), {
    ...options,
    method: "POST",
    headers: authorised(session, { "content-type": "application/json" }),
    body: JSON.stringify({ repo: session.did, collection: COLLECTION, rkey, record: { $type: COLLECTION, ...record }, swapRecord: null }),
  });
  const outcome = classify(answer, { duplicate: (a) => a.status === 400 && (jsonOf(a) as { error?: unknown } | undefined)?.error === "InvalidSwap" });
  if (outcome.kind === "duplicate") return { uri: `at://${session.did}/${COLLECTION}/${rkey}`, duplicate: true };
  if (outcome.kind === "retry" || outcome.kind === "permanent") throw new DeliveryError(outcome);
  const uri = (jsonOf(answer) as { uri?: unknown } | undefined)?.uri;
  if (typeof uri !== "string") throw new DeliveryError({ kind: "retry", reason: "Réponse de Bluesky sans adresse de publication." });
  return { uri, duplicate: false };
}

export interface BlueskyPublication {
  text: string;
  images: BlueskyImage[];
  /** A TID chosen once per publication (newTid) and stored. */
  rkey: string;
  /** Stored with the rkey: the same record at every try is what makes a repeat a no-op. */
  createdAt: Date;
  langs?: string[];
}

/**
 * Delivers one publication: session, images, post. Never throws for what the network answers;
 * says whether it was published (with the at:// URI as id and the bsky.app page as url), should
 * be retried, or cannot be.
 */
export async function deliverToBluesky(account: BlueskyAccount, publication: BlueskyPublication, options: BlueskyOptions = {}): Promise<DeliveryResult> {
  const problem = blueskyProblem(publication.text, publication.images, publication.rkey);
  if (problem) return { kind: "permanent", status: 0, message: problem };
  try {
    const session = await createSession(account, options);
    const images = [];
    for (const image of publication.images) {
      images.push({ alt: image.alt, image: await uploadBlob(session, image, options), aspectRatio: { width: image.width, height: image.height } });
    }
    const facets = facetsOf(publication.text);
    const record = {
      text: publication.text,
      createdAt: publication.createdAt.toISOString(),
      ...(publication.langs?.length ? { langs: publication.langs } : {}),
      ...(facets.length ? { facets } : {}),
      ...(images.length ? { embed: { $type: "app.bsky.embed.images", images } } : {}),
    };
    const { uri } = await putPost(session, publication.rkey, record, options);
    return { kind: "published", id: uri, url: bskyAppUrl(uri) };
  } catch (error) {
    if (error instanceof DeliveryError) return error.outcome;
    throw error;
  }
}
