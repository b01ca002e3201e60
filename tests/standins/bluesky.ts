import { createHash, randomBytes } from "node:crypto";
import { bearer, bodyOf, Scripts, startStandin, type Reply, type Standin } from "./http";

// A Bluesky PDS, as far as publishing uses it (bluesky-social/atproto, packages/pds/src/api/com/
// atproto/repo/putRecord.ts): putRecord of a record identical to the one stored is a no-op; a
// different one with swapRecord null is refused with InvalidSwap; without swapRecord it replaces.

export interface StandinRecord {
  uri: string;
  cid: string;
  rkey: string;
  value: Record<string, any>;
  /** How many times a write changed it (1 = created). */
  writes: number;
  /** What app.bsky.feed.getPosts counts for the post; a test sets them. */
  counts: { reposts: number; likes: number; replies: number; quotes: number };
}

export interface BlueskyStandin extends Standin {
  did: string;
  handle: string;
  appPassword: string;
  records: Map<string, StandinRecord>;
  blobs: Map<string, { mimeType: string; size: number }>;
  fail(route: string, reply: Reply, times?: number): void;
}

/** Keys sorted, so that the same record always gives the same CID. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

const cidOf = (bytes: Buffer | string) => "bafyrei" + createHash("sha256").update(bytes).digest("hex").slice(0, 52);
const error = (status: number, name: string, message: string): Reply => ({ status, body: { error: name, message } });
const graphemes = (text: string) => [...new Intl.Segmenter("fr", { granularity: "grapheme" }).segment(text)].length;

export async function startBluesky(): Promise<BlueskyStandin> {
  const did = "did:plc:" + randomBytes(12).toString("hex").slice(0, 24);
  const handle = "relais-test.bsky.social";
  const appPassword = "abcd-efgh-ijkl-mnop";
  const scripts = new Scripts();
  const sessions = new Set<string>();
  const records = new Map<string, StandinRecord>();
  const blobs = new Map<string, { mimeType: string; size: number }>();

  const standin = await startStandin(
    (method, url) => `${method} ${url.pathname}`,
    (request, url) => {
      const route = request.route.replace(/^(GET|POST) \/xrpc\//, "");
      if (route === "com.atproto.server.createSession") {
        const body = bodyOf(request) ?? {};
        if ((body.identifier !== handle && body.identifier !== did) || body.password !== appPassword) {
          return error(401, "AuthenticationRequired", "Invalid identifier or password");
        }
        const accessJwt = "jwt-" + randomBytes(16).toString("hex");
        sessions.add(accessJwt);
        return { status: 200, body: { did, handle, accessJwt, refreshJwt: "refresh-" + accessJwt, active: true } };
      }
      const token = bearer(request);
      if (!token || !sessions.has(token)) return error(401, "AuthenticationRequired", "Authentication Required");
      if (route === "com.atproto.repo.uploadBlob") {
        const mimeType = request.headers["content-type"] ?? "application/octet-stream";
        if (request.body.length === 0) return error(400, "InvalidRequest", "Request body is empty");
        const cid = "bafkrei" + createHash("sha256").update(request.body).digest("hex").slice(0, 52);
        blobs.set(cid, { mimeType, size: request.body.length });
        return { status: 200, body: { blob: { $type: "blob", ref: { $link: cid }, mimeType, size: request.body.length } } };
      }
      if (route === "app.bsky.feed.getPosts") {
        // As the AppView (proxied by the PDS): up to 25 URIs; a post it does not have (deleted) is left out.
        const uris = url.searchParams.getAll("uris");
        if (uris.length === 0 || uris.length > 25) return error(400, "InvalidRequest", "uris must have between 1 and 25 items");
        const posts = uris.flatMap((uri) => {
          const found = [...records.values()].find((r) => r.uri === uri);
          if (!found) return [];
          const { reposts, likes, replies, quotes } = found.counts;
          return [{ uri, cid: found.cid, author: { did, handle }, record: found.value, indexedAt: found.value.createdAt, repostCount: reposts, likeCount: likes, replyCount: replies, quoteCount: quotes }];
        });
        return { status: 200, body: { posts } };
      }
      if (route === "com.atproto.repo.putRecord") {
        const body = bodyOf(request) ?? {};
        if (body.repo !== did && body.repo !== handle) return error(401, "AuthenticationRequired", "Authentication Required");
        if (body.collection !== "app.bsky.feed.post") return error(400, "InvalidRequest", "Unsupported collection");
        const rkey = String(body.rkey ?? "");
        if (!/^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/.test(rkey)) return error(400, "InvalidRequest", "Invalid record key");
        const record = body.record as Record<string, any> | undefined;
        if (!record || record.$type !== "app.bsky.feed.post" || typeof record.text !== "string" || typeof record.createdAt !== "string") {
          return error(400, "InvalidRecord", "Invalid app.bsky.feed.post record");
        }
        if (graphemes(record.text) > 300) return error(400, "InvalidRecord", "Record/text must not be longer than 300 graphemes");
        for (const image of record.embed?.images ?? []) {
          const blob = blobs.get(image?.image?.ref?.$link);
          if (!blob) return error(400, "InvalidRequest", "Could not find blob");
          if (blob.size > 1_000_000) return error(400, "InvalidRecord", "Record/embed/images/0/image file too large");
          if (typeof image.alt !== "string") return error(400, "InvalidRecord", "Record/embed/images/0 must have the property \"alt\"");
        }
        const uri = `at://${did}/app.bsky.feed.post/${rkey}`;
        const cid = cidOf(canonical(record));
        const current = records.get(rkey);
        if (current && current.cid === cid) return { status: 200, body: { uri, cid } }; // no-op
        if (current && "swapRecord" in body && body.swapRecord !== current.cid) {
          return error(400, "InvalidSwap", `Record was at ${current.cid}`);
        }
        records.set(rkey, { uri, cid, rkey, value: record, writes: (current?.writes ?? 0) + 1, counts: current?.counts ?? { reposts: 0, likes: 0, replies: 0, quotes: 0 } });
        return { status: 200, body: { uri, cid, commit: { cid: cidOf(uri + cid), rev: "3l" + rkey.slice(2) }, validationStatus: "valid" } };
      }
      return error(501, "MethodNotImplemented", "Method Not Implemented");
    },
    scripts,
  );
  return Object.assign(standin, { did, handle, appPassword, records, blobs, fail: (route: string, reply: Reply, times?: number) => scripts.fail(route, reply, times) });
}
