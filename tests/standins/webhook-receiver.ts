import { Webhook } from "standardwebhooks";
import { Scripts, startStandin, type Reply, type Standin } from "./http";

// A webhook receiver that checks signatures with the reference `standardwebhooks` package, as an
// n8n or website endpoint following Standard Webhooks would.

export interface ReceivedMessage {
  id: string;
  timestamp: string;
  payload: { type: string; timestamp: string; data: unknown };
  headers: Record<string, string | string[] | undefined>;
}

export interface WebhookReceiver extends Standin {
  /** Messages whose signature verified. */
  received: ReceivedMessage[];
  /** Why each refused request was refused. */
  rejected: string[];
  fail(reply: Reply, times?: number): void;
}

export async function startWebhookReceiver(options: { secret: string; requiredHeader?: { name: string; value: string }; answerUrl?: string }): Promise<WebhookReceiver> {
  const scripts = new Scripts();
  const verifier = new Webhook(options.secret);
  const received: ReceivedMessage[] = [];
  const rejected: string[] = [];
  const standin = await startStandin(
    (method, url) => `${method} ${url.pathname}`,
    (request) => {
      if (options.requiredHeader && request.headers[options.requiredHeader.name.toLowerCase()] !== options.requiredHeader.value) {
        rejected.push("missing header");
        return { status: 403, body: { message: "Authorization data is wrong!" } };
      }
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      try {
        const payload = verifier.verify(request.body.toString("utf8"), headers) as ReceivedMessage["payload"];
        received.push({ id: headers["webhook-id"], timestamp: headers["webhook-timestamp"], payload, headers: request.headers });
      } catch (error) {
        rejected.push((error as Error).message);
        return { status: 401, body: { error: "invalid signature" } };
      }
      return { status: 200, body: options.answerUrl ? { url: options.answerUrl } : { ok: true } };
    },
    scripts,
  );
  return Object.assign(standin, { received, rejected, fail: (reply: Reply, times?: number) => scripts.fail("POST /hook", reply, times) });
}
