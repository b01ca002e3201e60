import { mastodonLength } from "./text-length";
import { classify, DeliveryError, expectOk, jsonOf, send, type Answer, type DeliveryResult, type SendOptions } from "./http.server";

// A Mastodon-API account (Mastodon, GoToSocial, Akkoma, Pixelfed, Friendica speak it). Four
// endpoints, called with plain fetch through send(): the instance's limits, media upload (with
// alt text and focal point), the status (with an Idempotency-Key), and the account's recent
// statuses, read when the key may have expired.

export interface MastodonAccount {
  /** https://instance.example, without path. */
  instanceUrl: string;
  accessToken: string;
}

export interface MastodonLimits {
  maxCharacters: number;
  maxMediaAttachments: number;
  /** Every link counts as this many characters, whatever its length. */
  charactersReservedPerUrl: number;
  /** Longest alt text. */
  descriptionLimit: number;
  imageSizeLimit: number;
  supportedMimeTypes: string[];
}

export interface MastodonMedia {
  data: Buffer;
  filename: string;
  mimeType: string;
  /** Alt text. */
  description: string;
  /** Mastodon's focal point: x left→right, y bottom→top, both in [-1, 1]; see mastodonFocus. */
  focus?: { x: number; y: number };
}

export interface MastodonPost {
  id: string;
  url: string;
}

export interface MastodonOptions {
  timeoutMs?: number;
  /** Between two looks at a media still being processed. */
  pollIntervalMs?: number;
  /** Longest wait for the instance to process one media before trying again later. */
  maxProcessingMs?: number;
}

/** Mastodon keeps an Idempotency-Key for an hour; past this, a repeat first looks for the post. */
export const IDEMPOTENCY_WINDOW_MS = 50 * 60_000;

// Documented defaults (mastodon/documentation, entities/Instance.md), for servers that omit a field.
const DEFAULT_LIMITS: MastodonLimits = {
  maxCharacters: 500,
  maxMediaAttachments: 4,
  charactersReservedPerUrl: 23,
  descriptionLimit: 1500,
  imageSizeLimit: 16_777_216,
  supportedMimeTypes: ["image/jpeg", "image/png", "image/webp", "image/gif"],
};

function endpoint(account: MastodonAccount, path: string): string {
  return account.instanceUrl.replace(/\/+$/, "") + path;
}

function call(account: MastodonAccount, path: string, options: SendOptions & MastodonOptions = {}): Promise<Answer> {
  return send(endpoint(account, path), {
    ...options,
    headers: { authorization: `Bearer ${account.accessToken}`, accept: "application/json", ...options.headers },
  });
}

function field<T>(value: unknown, check: (v: unknown) => v is T, fallback: T): T {
  return check(value) ? value : fallback;
}
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

/** The instance's limits (`GET /api/v2/instance`), documented defaults where it says nothing. */
export async function fetchInstanceLimits(account: MastodonAccount, options: MastodonOptions = {}): Promise<MastodonLimits> {
  const answer = expectOk(await call(account, "/api/v2/instance", options));
  const configuration = ((jsonOf(answer) as { configuration?: Record<string, Record<string, unknown>> }) ?? {}).configuration ?? {};
  const statuses = configuration.statuses ?? {};
  const media = configuration.media_attachments ?? {};
  return {
    maxCharacters: field(statuses.max_characters, isCount, DEFAULT_LIMITS.maxCharacters),
    maxMediaAttachments: field(statuses.max_media_attachments, isCount, DEFAULT_LIMITS.maxMediaAttachments),
    charactersReservedPerUrl: field(statuses.characters_reserved_per_url, isCount, DEFAULT_LIMITS.charactersReservedPerUrl),
    descriptionLimit: field(media.description_limit, isCount, DEFAULT_LIMITS.descriptionLimit),
    imageSizeLimit: field(media.image_size_limit, isCount, DEFAULT_LIMITS.imageSizeLimit),
    supportedMimeTypes: field(
      media.supported_mime_types,
      (v): v is string[] => Array.isArray(v) && v.every((t) => typeof t === "string"),
      DEFAULT_LIMITS.supportedMimeTypes,
    ),
  };
}

/** Mastodon's focus from a focal point given as fractions of the width and height from the top-left corner. */
export function mastodonFocus(fromLeft: number, fromTop: number): { x: number; y: number } {
  const clamp = (v: number) => Math.min(1, Math.max(-1, Math.round(v * 100) / 100));
  return { x: clamp(2 * fromLeft - 1), y: clamp(1 - 2 * fromTop) };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Uploads one media with its alt text and focal point (`POST /api/v2/media`) and, when the
 * instance processes it in the background (202), waits until `GET /api/v1/media/:id` stops
 * answering 206. Returns the media's id, ready to attach.
 */
export async function uploadMedia(account: MastodonAccount, media: MastodonMedia, options: MastodonOptions = {}): Promise<{ id: string }> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(media.data)], { type: media.mimeType }), media.filename);
  form.append("description", media.description);
  if (media.focus) {
    const { x, y } = media.focus;
    if (!(Math.abs(x) <= 1 && Math.abs(y) <= 1)) {
      throw new DeliveryError({ kind: "permanent", status: 0, message: "Point focal hors de l'image (x et y entre -1 et 1)." });
    }
    form.append("focus", `${x},${y}`);
  }
  const answer = expectOk(await call(account, "/api/v2/media", { ...options, method: "POST", body: form, timeoutMs: options.timeoutMs ?? 120_000 }));
  const id = (jsonOf(answer) as { id?: unknown } | undefined)?.id;
  if (typeof id !== "string" && typeof id !== "number") {
    throw new DeliveryError({ kind: "retry", reason: "Réponse de l'instance sans identifiant de média." });
  }
  if (answer.status === 202) await waitUntilProcessed(account, String(id), options);
  return { id: String(id) };
}

async function waitUntilProcessed(account: MastodonAccount, id: string, options: MastodonOptions) {
  const interval = options.pollIntervalMs ?? 1_000;
  const deadline = Date.now() + (options.maxProcessingMs ?? 60_000);
  for (;;) {
    const answer = expectOk(await call(account, `/api/v1/media/${encodeURIComponent(id)}`, options));
    if (answer.status === 200) return;
    if (Date.now() + interval > deadline) {
      throw new DeliveryError({ kind: "retry", reason: "L'instance traite encore le média : nouvel essai plus tard." });
    }
    await wait(interval);
  }
}

function postOf(answer: Answer): MastodonPost {
  const status = jsonOf(answer) as { id?: unknown; url?: unknown; uri?: unknown } | undefined;
  const id = status?.id;
  const url = typeof status?.url === "string" ? status.url : status?.uri;
  if ((typeof id !== "string" && typeof id !== "number") || typeof url !== "string") {
    throw new DeliveryError({ kind: "retry", reason: "Réponse de l'instance sans identifiant ni adresse de publication." });
  }
  return { id: String(id), url };
}

// Mastodon's English message for a status whose media are still processing (media_attachments.validations.not_ready).
const notReady = (answer: Answer) => answer.status === 422 && /not finished processing|not_ready/i.test(answer.body.toString("utf8"));

/**
 * Posts the status (`POST /api/v1/statuses`) with `idempotencyKey`, which the caller keeps for
 * the publication: for an hour the instance answers a repeat with the status it already made.
 */
export async function postStatus(
  account: MastodonAccount,
  status: { text: string; mediaIds: string[]; idempotencyKey: string; language?: string; visibility?: "public" | "unlisted" | "private" },
  options: MastodonOptions = {},
): Promise<MastodonPost> {
  const answer = await call(account, "/api/v1/statuses", {
    ...options,
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": status.idempotencyKey },
    body: JSON.stringify({
      status: status.text,
      media_ids: status.mediaIds,
      visibility: status.visibility ?? "public",
      ...(status.language ? { language: status.language } : {}),
    }),
  });
  const outcome = classify(answer, { retryable: notReady });
  if (outcome.kind === "permanent" && answer.status === 422 && (await anyStillProcessing(account, status.mediaIds, options))) {
    // The message is in the account's language; the media's state says the same in every language.
    throw new DeliveryError({ kind: "retry", reason: `HTTP 422 : ${outcome.message}` });
  }
  if (outcome.kind === "retry" || outcome.kind === "permanent") throw new DeliveryError(outcome);
  return postOf(answer);
}

async function anyStillProcessing(account: MastodonAccount, mediaIds: string[], options: MastodonOptions): Promise<boolean> {
  for (const id of mediaIds) {
    const answer = await call(account, `/api/v1/media/${encodeURIComponent(id)}`, options).catch(() => null);
    if (answer?.status === 206) return true;
  }
  return false;
}

/** A status's HTML as the text it was written from, near enough to find a marker in it. */
export function plainText(html: string): string {
  const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
  return html
    .replace(/<br\s*\/?>|<\/p>\s*<p[^>]*>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === "#") {
        const code = name[1].toLowerCase() === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return entities[name.toLowerCase()] ?? whole;
    });
}

const squeeze = (text: string) => text.normalize("NFC").replace(/\s+/g, " ").trim();

/**
 * The account's recent status carrying `marker` (a part of the post's text the caller knows is
 * unique to the publication, such as its link; not a @mention, which Mastodon shortens), or null.
 * Reads `GET /api/v1/accounts/verify_credentials`, then the account's statuses newest first, back
 * to `since` (or `maxStatuses` of them).
 */
export async function findRecentPost(
  account: MastodonAccount,
  marker: string,
  options: MastodonOptions & { since?: Date; maxStatuses?: number } = {},
): Promise<MastodonPost | null> {
  const needle = squeeze(marker);
  if (!needle) throw new DeliveryError({ kind: "permanent", status: 0, message: "Marqueur de publication vide." });
  const me = jsonOf(expectOk(await call(account, "/api/v1/accounts/verify_credentials", options))) as { id?: unknown } | undefined;
  if (typeof me?.id !== "string" && typeof me?.id !== "number") {
    throw new DeliveryError({ kind: "retry", reason: "Réponse de l'instance sans identifiant de compte." });
  }
  const maxStatuses = options.maxStatuses ?? 120;
  let seen = 0;
  let maxId: string | undefined;
  while (seen < maxStatuses) {
    const query = new URLSearchParams({ limit: "40", exclude_reblogs: "true", ...(maxId ? { max_id: maxId } : {}) });
    // Forty statuses with their HTML, media and cards can pass the default megabyte.
    const path = `/api/v1/accounts/${encodeURIComponent(String(me.id))}/statuses?${query}`;
    const page = jsonOf(expectOk(await call(account, path, { ...options, maxBytes: 8_000_000 })));
    if (!Array.isArray(page) || page.length === 0) return null;
    for (const status of page as { id?: unknown; content?: unknown; created_at?: unknown }[]) {
      seen++;
      // An older status with the same words is an earlier publication, not this one.
      const created = typeof status.created_at === "string" ? Date.parse(status.created_at) : NaN;
      if (options.since && created < options.since.getTime()) return null;
      if (typeof status.content === "string" && squeeze(plainText(status.content)).includes(needle)) {
        return postOf({ status: 200, headers: new Headers(), body: Buffer.from(JSON.stringify(status)) });
      }
    }
    maxId = String((page[page.length - 1] as { id?: unknown }).id);
  }
  return null;
}

/**
 * What the instance would refuse in a publication, in French, or null: checked before any
 * upload, so that a text too long does not leave orphan media on the instance.
 */
export function mastodonProblem(publication: Pick<MastodonPublication, "text" | "media">, limits: MastodonLimits): string | null {
  const length = mastodonLength(publication.text, limits.charactersReservedPerUrl);
  if (length > limits.maxCharacters) return `Le texte compte ${length} caractères ; cette instance en accepte ${limits.maxCharacters}.`;
  if (publication.media.length > limits.maxMediaAttachments) {
    return `${publication.media.length} images ; cette instance en accepte ${limits.maxMediaAttachments} par publication.`;
  }
  for (const [i, media] of publication.media.entries()) {
    if (!media.description.trim()) return `L'image ${i + 1} n'a pas de texte alternatif.`;
    if ([...media.description].length > limits.descriptionLimit) {
      return `Le texte alternatif de l'image ${i + 1} dépasse ${limits.descriptionLimit} caractères.`;
    }
    if (media.data.length > limits.imageSizeLimit) return `L'image ${i + 1} pèse ${media.data.length} octets ; cette instance en accepte ${limits.imageSizeLimit}.`;
    if (!limits.supportedMimeTypes.includes(media.mimeType)) return `L'image ${i + 1} est au format ${media.mimeType}, que cette instance n'accepte pas.`;
  }
  return null;
}

export interface MastodonPublication {
  text: string;
  media: MastodonMedia[];
  /** Chosen once per publication and kept: every try sends the same one. */
  idempotencyKey: string;
  /** When the first try started: past the key's hour, the account's posts are searched first. */
  firstAttemptAt?: Date;
  /** What findRecentPost looks for; the whole text by default. */
  marker?: string;
  language?: string;
  visibility?: "public" | "unlisted" | "private";
}

/**
 * Delivers one publication: its media, then its status. Never throws for what the network
 * answers; says whether it was published, should be retried, or cannot be.
 */
export async function deliverToMastodon(
  account: MastodonAccount,
  publication: MastodonPublication,
  options: MastodonOptions & { now?: Date; limits?: MastodonLimits } = {},
): Promise<DeliveryResult> {
  const problem = options.limits ? mastodonProblem(publication, options.limits) : null;
  if (problem) return { kind: "permanent", status: 0, message: problem };
  try {
    const now = options.now ?? new Date();
    if (publication.firstAttemptAt && now.getTime() - publication.firstAttemptAt.getTime() > IDEMPOTENCY_WINDOW_MS) {
      // A few minutes' margin: the instance's clock and ours need not agree.
      const since = new Date(publication.firstAttemptAt.getTime() - 5 * 60_000);
      const found = await findRecentPost(account, publication.marker ?? publication.text, { ...options, since });
      if (found) return { kind: "published", ...found };
    }
    const mediaIds: string[] = [];
    for (const media of publication.media) mediaIds.push((await uploadMedia(account, media, options)).id);
    const post = await postStatus(account, { ...publication, mediaIds }, options);
    return { kind: "published", ...post };
  } catch (error) {
    if (error instanceof DeliveryError) return error.outcome;
    throw error;
  }
}
