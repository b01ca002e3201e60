import { createHmac, randomBytes } from "node:crypto";
import { classify, DeliveryError, jsonOf, send, type DeliveryResult } from "./http.server";

// Webhooks for n8n, Make, Zapier and the organisation's website, signed the Standard Webhooks way
// (standard-webhooks/standard-webhooks, spec/standard-webhooks.md): the receiver checks
// `webhook-signature` = "v1," + base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>",
// keyed with the base64 part of the `whsec_` secret. n8n checks only headers, so an endpoint may
// also carry one static header of its own.

export interface WebhookEndpoint {
  url: string;
  /** whsec_<base64>, as generateWebhookSecret makes it. */
  secret: string;
  header?: { name: string; value: string };
}

export interface WebhookMessage {
  /** The same at every try of one publication: the receiver's idempotency key. */
  id: string;
  /** Such as "publication.published". */
  type: string;
  /** When the event happened (stable across tries; the signature's timestamp is the try's). */
  timestamp: Date;
  data: unknown;
}

const PREFIX = "whsec_";

/** A new endpoint secret: whsec_ and 32 random bytes in base64. Shown once to comms, then stored encrypted. */
export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString("base64");
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : "";
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, "base64") : Buffer.alloc(0);
  if (key.length < 24 || key.length > 64) {
    throw new DeliveryError({ kind: "permanent", status: 0, message: "Secret du webhook invalide : whsec_ suivi de 24 à 64 octets en base64 attendu." });
  }
  return key;
}

/** The `webhook-signature` value for one try: "v1," and the base64 HMAC-SHA256 of "id.timestamp.body". */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  return "v1," + createHmac("sha256", secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`, "utf8").digest("base64");
}

// Headers the request itself sets: a static header must not replace them.
const RESERVED = new Set(["host", "content-length", "content-type", "transfer-encoding", "connection", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature"]);

/** What is wrong with an endpoint's static header, in French, or null (for the channel form). */
export function webhookHeaderProblem(name: string, value: string): string | null {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/.test(name)) return "Nom d'en-tête invalide : lettres, chiffres et tirets, sans espace.";
  if (RESERVED.has(name.toLowerCase())) return `L'en-tête ${name} est déjà envoyé par Relais : choisissez un autre nom.`;
  if (!/^[\x20-\x7e]{1,1000}$/.test(value)) return "Valeur d'en-tête invalide : caractères ASCII visibles, sur une seule ligne, 1000 au plus.";
  return null;
}

/**
 * Sends one signed message. A 2xx is published (with the address the receiver answers as
 * `{"url": "https://…"}`, if it does); 410 means the endpoint is gone and should be disabled;
 * otherwise retried or given up as classify says. Never throws for what the receiver answers.
 */
export async function deliverWebhook(endpoint: WebhookEndpoint, message: WebhookMessage, options: { timeoutMs?: number; now?: Date } = {}): Promise<DeliveryResult> {
  try {
    if (endpoint.header) {
      const problem = webhookHeaderProblem(endpoint.header.name, endpoint.header.value);
      if (problem) return { kind: "permanent", status: 0, message: problem };
    }
    const body = JSON.stringify({ type: message.type, timestamp: message.timestamp.toISOString(), data: message.data });
    const timestamp = Math.floor((options.now ?? new Date()).getTime() / 1000);
    const answer = await send(endpoint.url, {
      method: "POST",
      timeoutMs: options.timeoutMs ?? 20_000,
      maxBytes: 64 * 1024,
      headers: {
        ...(endpoint.header ? { [endpoint.header.name]: endpoint.header.value } : {}),
        "content-type": "application/json",
        "webhook-id": message.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": webhookSignature(endpoint.secret, message.id, timestamp, body),
      },
      body,
    });
    if (answer.status === 410) return { kind: "gone" };
    const outcome = classify(answer);
    if (outcome.kind === "retry" || outcome.kind === "permanent") return outcome;
    const url = (jsonOf(answer) as { url?: unknown } | undefined)?.url;
    return { kind: "published", id: message.id, url: typeof url === "string" && /^https?:\/\//.test(url) && URL.canParse(url) ? url : null };
  } catch (error) {
    if (error instanceof DeliveryError) return error.outcome;
    throw error;
  }
}
