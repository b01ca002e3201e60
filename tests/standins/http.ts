import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";

// Real HTTP servers on 127.0.0.1 that stand in for the networks publishing talks to. Each stand-in
// plays the network's documented semantics; a test scripts failures route by route.

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON. */
  body?: string | Buffer | object;
  /** Wait this long before answering (to provoke a timeout). */
  delayMs?: number;
  /** Send the headers, then bytes without end (to provoke the size limit). */
  endless?: boolean;
  /**
   * Scripted only: let the stand-in do its work as usual (post the status…), then apply this
   * reply's delayMs to its answer: a request that succeeded but whose answer the client lost.
   */
  passThrough?: boolean;
}

export interface Received {
  method: string;
  path: string;
  /** The route key the request matched, such as "POST /api/v1/statuses". */
  route: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (request: Received, url: URL) => Reply | Promise<Reply>;

/** Answers queued per route, used before the stand-in's own behaviour (one per request). */
export class Scripts {
  private queues = new Map<string, Reply[]>();

  /** The next `times` requests to `route` get `reply`. */
  fail(route: string, reply: Reply, times = 1) {
    const queue = this.queues.get(route) ?? [];
    for (let i = 0; i < times; i++) queue.push(reply);
    this.queues.set(route, queue);
  }

  take(route: string): Reply | undefined {
    return this.queues.get(route)?.shift();
  }
}

export interface Standin {
  url: string;
  requests: Received[];
  /** Requests to a route ("POST /api/v1/statuses"). */
  calls(route: string): Received[];
  /** Bytes written by endless answers before the client went away. */
  endlessBytesSent: number;
  close(): Promise<void>;
}

/**
 * Starts a server on a free port of 127.0.0.1. `routeOf` names the route of a request (ids
 * replaced by `:id`), so that scripts and counts do not depend on ids.
 */
export async function startStandin(routeOf: (method: string, url: URL) => string, handle: Handler, scripts: Scripts): Promise<Standin> {
  const requests: Received[] = [];
  const sockets = new Set<Socket>();
  const state = { endlessBytesSent: 0 };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const received: Received = {
      method: req.method ?? "GET",
      path: url.pathname + url.search,
      route: routeOf(req.method ?? "GET", url),
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    requests.push(received);
    let reply: Reply;
    try {
      const scripted = scripts.take(received.route);
      reply = scripted?.passThrough ? { ...(await handle(received, url)), delayMs: scripted.delayMs } : (scripted ?? (await handle(received, url)));
    } catch (error) {
      reply = { status: 500, body: { error: `stand-in: ${(error as Error).message}` } };
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
    if (reply.endless) {
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) state.endlessBytesSent += chunk.length;
        if (!res.destroyed) {
          state.endlessBytesSent += chunk.length;
          res.once("drain", pump);
        }
      };
      res.on("error", () => {});
      pump();
      return;
    }
    const isObject = reply.body !== undefined && typeof reply.body === "object" && !Buffer.isBuffer(reply.body);
    const payload = isObject ? JSON.stringify(reply.body) : (reply.body as string | Buffer | undefined);
    res.writeHead(reply.status, {
      ...(isObject ? { "content-type": "application/json; charset=utf-8" } : {}),
      ...reply.headers,
    });
    res.end(payload);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (route) => requests.filter((r) => r.route === route),
    get endlessBytesSent() {
      return state.endlessBytesSent;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The bearer token of a request, if any. */
export function bearer(request: Received): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith("Bearer ") ? header.slice(7) : undefined;
}

/** The body of a request as JSON (or form fields), or undefined. */
export function bodyOf(request: Received): Record<string, unknown> | undefined {
  const type = request.headers["content-type"] ?? "";
  const text = request.body.toString("utf8");
  if (type.startsWith("application/json")) {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (type.startsWith("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  return undefined;
}
