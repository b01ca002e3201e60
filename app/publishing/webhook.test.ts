import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../../tests/standins/webhook-receiver";
import { MAX_ATTEMPTS, type DeliveryResult } from "./http.server";
import { deliverWebhook, generateWebhookSecret, webhookHeaderProblem, webhookSignature, type WebhookEndpoint, type WebhookMessage } from "./webhook.server";

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const message: WebhookMessage = {
  id: "msg_publication_17",
  type: "publication.published",
  timestamp: new Date("2026-11-20T18:00:00Z"),
  data: { title: "Fête de la science", text: "42 ateliers à la médiathèque", url: "https://intranet.example.org/contributions/17", images: [{ url: "https://intranet.example.org/m/1.jpg", alt: "Un papillon" }] },
};

describe("webhook delivery", () => {
  it("signs as Standard Webhooks says: the reference package verifies it, with the static header", async () => {
    const secret = generateWebhookSecret();
    receiver = await startWebhookReceiver({ secret, requiredHeader: { name: "X-N8N-Token", value: "jeton-n8n" }, answerUrl: "https://www.example.org/actualites/fete" });
    const endpoint: WebhookEndpoint = { url: `${receiver.url}/hook`, secret, header: { name: "X-N8N-Token", value: "jeton-n8n" } };
    const result = await deliverWebhook(endpoint, message);
    expect(result).toEqual({ kind: "published", id: "msg_publication_17", url: "https://www.example.org/actualites/fete" });
    expect(receiver.rejected).toEqual([]);
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got.id).toBe("msg_publication_17");
    expect(got.payload).toEqual({ type: "publication.published", timestamp: "2026-11-20T18:00:00.000Z", data: message.data });
    expect(Math.abs(Number(got.timestamp) - Date.now() / 1000)).toBeLessThan(10);
    expect(got.headers["content-type"]).toBe("application/json");
  });

  it("a wrong secret is refused by the receiver, and that is permanent", async () => {
    receiver = await startWebhookReceiver({ secret: generateWebhookSecret() });
    const result = await deliverWebhook({ url: `${receiver.url}/hook`, secret: generateWebhookSecret() }, message);
    expect(result).toEqual({ kind: "permanent", status: 401, message: "invalid signature" });
    expect(receiver.received).toHaveLength(0);
    expect(receiver.rejected).toHaveLength(1);
  });

  it("its signature is the reference package's", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const body = JSON.stringify({ type: "t", timestamp: "2026-11-20T18:00:00.000Z", data: { é: 1 } });
    const at = new Date("2026-11-20T18:00:00Z");
    expect(webhookSignature(secret, "msg_1", at.getTime() / 1000, body)).toBe(new Webhook(secret).sign("msg_1", at, body));
    expect(webhookSignature(secret, "msg_1", at.getTime() / 1000, body)).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it("500 three times then 200: four tries with the same webhook-id, one message received", async () => {
    const secret = generateWebhookSecret();
    receiver = await startWebhookReceiver({ secret });
    receiver.fail({ status: 500, body: "oops" }, 3);
    let result: DeliveryResult | undefined;
    let attempts = 0;
    while (attempts < MAX_ATTEMPTS) {
      attempts++;
      result = await deliverWebhook({ url: `${receiver.url}/hook`, secret }, message);
      if (result.kind !== "retry") break;
    }
    expect(attempts).toBe(4);
    expect(result).toEqual({ kind: "published", id: message.id, url: null });
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual(Array(4).fill("msg_publication_17"));
    expect(receiver.received).toHaveLength(1);
  });

  it("410 says the endpoint is gone; a 400 is permanent; a redirect is refused", async () => {
    const secret = generateWebhookSecret();
    receiver = await startWebhookReceiver({ secret });
    const endpoint = { url: `${receiver.url}/hook`, secret };
    receiver.fail({ status: 410, body: "" });
    expect(await deliverWebhook(endpoint, message)).toEqual({ kind: "gone" });
    receiver.fail({ status: 400, body: { message: "Workflow inactif" } });
    expect(await deliverWebhook(endpoint, message)).toEqual({ kind: "permanent", status: 400, message: "Workflow inactif" });
    receiver.fail({ status: 307, headers: { location: "http://10.0.0.1/hook" } });
    expect(await deliverWebhook(endpoint, message)).toMatchObject({ kind: "permanent", status: 307, message: expect.stringContaining("Redirection refusée") });
    expect(receiver.received).toHaveLength(0);
  });

  it("secrets are whsec_ and 32 random bytes; a static header must not replace the signed ones", async () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
    expect(webhookHeaderProblem("X-N8N-Token", "abc def")).toBeNull();
    expect(webhookHeaderProblem("Authorization", "Bearer abc")).toBeNull();
    expect(webhookHeaderProblem("webhook-signature", "v1,forged")).toMatch(/déjà envoyé/);
    expect(webhookHeaderProblem("Content-Type", "text/plain")).toMatch(/déjà envoyé/);
    expect(webhookHeaderProblem("X Token", "a")).toMatch(/Nom d'en-tête invalide/);
    expect(webhookHeaderProblem("X-Token", "a\r\nX-Injected: 1")).toMatch(/Valeur d'en-tête invalide/);
    expect(await deliverWebhook({ url: "http://127.0.0.1:9/hook", secret, header: { name: "webhook-id", value: "x" } }, message)).toMatchObject({ kind: "permanent", status: 0 });
    expect(await deliverWebhook({ url: "http://127.0.0.1:9/hook", secret: "pas-un-secret" }, message)).toMatchObject({ kind: "permanent", message: expect.stringContaining("Secret du webhook invalide") });
  });
});
