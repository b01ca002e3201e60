// The one way publishing talks to another host. Every network client goes through `send`, so that
// none of them can follow a redirect to somewhere unexpected, wait forever, or read an endless
// answer into memory; and through `classify`, so that "retry later" and "give up" mean the same
// thing for every network.

export type RetryOutcome = { kind: "retry"; after?: Date; reason: string };
export type PermanentOutcome = { kind: "permanent"; status: number; message: string };
export type Outcome = { kind: "ok" } | RetryOutcome | PermanentOutcome | { kind: "duplicate" };

/**
 * What a delivery to a network came to: published (with the network's id for the post and its
 * public address; a webhook's receiver may not give one), to retry, given up, or (webhooks) an
 * endpoint that says it is gone for good.
 */
export type DeliveryResult = { kind: "published"; id: string; url: string | null } | RetryOutcome | PermanentOutcome | { kind: "gone" };

/** A request that did not give a usable answer; `outcome` says whether trying again can help. */
export class DeliveryError extends Error {
  override name = "DeliveryError";
  constructor(readonly outcome: RetryOutcome | PermanentOutcome) {
    super(outcome.kind === "retry" ? outcome.reason : outcome.message);
  }
}

export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_BYTES = 1_000_000;

export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | FormData;
  /** For the whole exchange, answer body included. */
  timeoutMs?: number;
  /** Longest answer body read; past it the connection is dropped. */
  maxBytes?: number;
}

/**
 * One HTTP request. Redirects are refused (a channel's address that moved must be corrected by
 * comms, not followed blindly), the whole exchange is bounded in time, and the answer in size.
 * Answers of any status come back; only a failure to get one throws a DeliveryError.
 */
export async function send(url: string | URL, options: SendOptions = {}): Promise<Answer> {
  const target = typeof url === "string" && URL.canParse(url) ? new URL(url) : url instanceof URL ? url : null;
  if (!target || !["http:", "https:"].includes(target.protocol) || target.username || target.password) {
    throw new DeliveryError({ kind: "permanent", status: 0, message: "Adresse invalide : http(s)://hôte/… attendu, sans identifiants." });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(target, {
      method: options.method ?? "GET",
      headers: { "user-agent": "Relais", ...options.headers },
      // A Buffer is a valid body; TypeScript's DOM types only accept ArrayBuffer-backed views.
      body: options.body as BodyInit | undefined,
      redirect: "manual",
      signal,
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      throw new DeliveryError({
        kind: "permanent",
        status: response.status,
        message: `Redirection refusée (${response.status}${location ? ` vers ${printable(location, 200)}` : ""}) : vérifiez l'adresse du canal.`,
      });
    }
    return { status: response.status, headers: response.headers, body: await readLimited(response, maxBytes) };
  } catch (error) {
    if (error instanceof DeliveryError) throw error;
    if (signal.aborted) {
      throw new DeliveryError({ kind: "retry", reason: `Pas de réponse complète de ${target.host} en ${Math.round(timeoutMs / 1000)} s.` });
    }
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new DeliveryError({ kind: "retry", reason: `Échec de connexion à ${target.host}${cause ? ` (${cause})` : ""}.` });
  }
}

/** The body, read in chunks; reading stops (and the connection is dropped) once past `maxBytes`. */
async function readLimited(response: Response, maxBytes: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const declared = Number(response.headers.get("content-length"));
  if (declared > maxBytes) {
    await response.body.cancel();
    throw tooLarge(response.status, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(response.status, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function tooLarge(status: number, maxBytes: number) {
  return new DeliveryError({ kind: "permanent", status, message: `Réponse trop volumineuse (plus de ${maxBytes} octets) : lecture interrompue.` });
}

/** The answer's body as JSON, or undefined when it is not JSON. */
export function jsonOf(answer: Answer): unknown {
  try {
    return JSON.parse(answer.body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** What the network says went wrong, short and printable (JSON `error`/`message` fields, or the text). */
export function messageOf(answer: Answer): string {
  const json = jsonOf(answer) as Record<string, unknown> | undefined;
  if (json && typeof json === "object") {
    const parts = [json.error, json.message, json.error_description].filter((v): v is string => typeof v === "string" && v.length > 0);
    if (parts.length) return printable([...new Set(parts)].join(" : "), 500);
  }
  const text = printable(answer.body.toString("utf8"), 500);
  return text || `HTTP ${answer.status}`;
}

function printable(text: string, max: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return clean.length > max ? clean.slice(0, max - 1) + "…" : clean;
}

/** Longest wait a network may ask for: past a day, comms had better look at it. */
const MAX_WAIT_MS = 24 * 3600_000;

/**
 * When the network asks us to come back: `Retry-After` (seconds or an HTTP date),
 * Mastodon's `X-RateLimit-Reset` (an ISO date) or Bluesky's `RateLimit-Reset` (Unix seconds).
 * Dates in the past are ignored; waits are capped at a day.
 */
export function retryAfter(headers: Headers, now: Date = new Date()): Date | undefined {
  const candidates: Date[] = [];
  const retry = headers.get("retry-after")?.trim();
  if (retry) {
    if (/^\d+$/.test(retry)) candidates.push(new Date(now.getTime() + Number(retry) * 1000));
    else if (!Number.isNaN(Date.parse(retry))) candidates.push(new Date(retry));
  }
  for (const name of ["x-ratelimit-reset", "ratelimit-reset"]) {
    const reset = headers.get(name)?.trim();
    if (!reset) continue;
    if (/^\d+$/.test(reset)) {
      const n = Number(reset);
      // Unix seconds, or (IETF draft) seconds from now.
      candidates.push(new Date(n > 1_000_000_000 ? n * 1000 : now.getTime() + n * 1000));
    } else if (!Number.isNaN(Date.parse(reset))) candidates.push(new Date(reset));
  }
  const latest = Math.max(...candidates.map((d) => d.getTime()).filter((t) => t > now.getTime()));
  if (!Number.isFinite(latest)) return undefined;
  return new Date(Math.min(latest, now.getTime() + MAX_WAIT_MS));
}

const RETRIED_4XX = new Set([408, 425, 429]);

/**
 * What an answer means for the delivery: 2xx ok; 408, 425, 429 and 5xx retried (at the time the
 * network asks for, if it does); other 4xx permanent with the network's message, unless
 * `retryable` recognises a temporary one (Mastodon's 422 "media not ready") or `duplicate` one
 * saying the post already exists (Bluesky's InvalidSwap), which means an earlier try posted it.
 */
export function classify(
  answer: Answer,
  options: { now?: Date; retryable?: (answer: Answer) => boolean; duplicate?: (answer: Answer) => boolean } = {},
): Outcome {
  const { status } = answer;
  if (status >= 200 && status < 300) return { kind: "ok" };
  if (status >= 400 && status < 500 && options.duplicate?.(answer)) return { kind: "duplicate" };
  const after = retryAfter(answer.headers, options.now);
  const reason = `HTTP ${status} : ${messageOf(answer)}`;
  if (status >= 500 || RETRIED_4XX.has(status) || (status >= 400 && options.retryable?.(answer))) {
    return after ? { kind: "retry", after, reason } : { kind: "retry", reason };
  }
  return { kind: "permanent", status, message: messageOf(answer) };
}

/** Throws the DeliveryError of an answer that is not ok; returns the answer otherwise. */
export function expectOk(answer: Answer, options?: Parameters<typeof classify>[1]): Answer {
  const outcome = classify(answer, options);
  if (outcome.kind === "retry" || outcome.kind === "permanent") throw new DeliveryError(outcome);
  return answer;
}

/**
 * Tries per publication, the first included. With the delays below (± 20 % jitter) the last try
 * comes about 16 hours after the first: long enough to ride out an instance's maintenance or a
 * night's outage, short enough that comms learn of a failure the same day or the next morning.
 */
export const MAX_ATTEMPTS = 10;
const DELAYS_S = [5, 30, 2 * 60, 10 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 8 * 3600];

/**
 * The wait after the `attempt`-th failed try (1 for the first), in milliseconds, with ± 20 %
 * jitter so that deliveries failed together do not all come back at the same second;
 * null once MAX_ATTEMPTS tries were made.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number | null {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt >= MAX_ATTEMPTS) return null;
  const base = DELAYS_S[attempt - 1] * 1000;
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** When to try again after the `attempt`-th try gave `outcome`: the schedule, or later if the network asked; null when out of tries. */
export function nextAttemptAt(attempt: number, outcome: RetryOutcome, now: Date = new Date(), random?: () => number): Date | null {
  const delay = retryDelayMs(attempt, random);
  if (delay === null) return null;
  const scheduled = now.getTime() + delay;
  return new Date(Math.max(scheduled, outcome.after?.getTime() ?? 0));
}
