import { bearer, bodyOf, Scripts, startStandin, type Reply, type Standin } from "./http";

// A Mastodon instance, as far as publishing uses it (mastodon/documentation, methods/media.md,
// methods/statuses.md; app/services/post_status_service.rb for the Idempotency-Key):
// - the key is remembered per account for an hour, only once a status was made;
// - a repeat with a known key returns the earlier status, whatever its body;
// - media in processing answer 206 on GET, and a status attaching one gets 422 not_ready.

export interface StandinMedia {
  id: string;
  size: number;
  mimeType: string;
  description: string;
  focus: string | null;
  /** GETs still to answer 206 before the media is ready. */
  processing: number;
  attached: boolean;
}

export interface StandinStatus {
  id: string;
  text: string;
  mediaIds: string[];
  visibility: string;
  language: string | null;
  createdAt: Date;
  url: string;
  /** What GET /api/v1/statuses/:id counts (reblogs_count, favourites_count, replies_count); a test sets them. */
  reblogs: number;
  favourites: number;
  replies: number;
}

export interface MastodonStandin extends Standin {
  token: string;
  accountId: string;
  statuses: StandinStatus[];
  media: Map<string, StandinMedia>;
  /** The stand-in's clock (Idempotency-Key expiry, created_at); a test may move it. */
  clock: { now: Date };
  /** How many GETs of a new media answer 206 before 200; 0 answers the upload with 200 at once. */
  mediaProcessing: number;
  /** The next `times` requests to `route` ("POST /api/v1/statuses") get `reply`. */
  fail(route: string, reply: Reply, times?: number): void;
  /** A status made outside the test's deliveries (an older post, another publication). */
  addStatus(text: string, createdAt: Date): StandinStatus;
}

const NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!";

/** StatusLengthValidator: each link as 23 characters, the rest in graphemes. */
function countable(text: string): number {
  const shortened = text.replace(/https?:\/\/[^\s]+?(?=[.,;:!?]*(\s|$))/g, "x".repeat(23));
  return [...new Intl.Segmenter("fr", { granularity: "grapheme" }).segment(shortened)].length;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Mastodon's rendering of a status's text: paragraphs, <br />, and long links cut into invisible spans. */
export function renderContent(text: string): string {
  const link = (url: string) => {
    const [, scheme, rest] = /^(https?:\/\/)(.*)$/.exec(url)!;
    const shown = rest.slice(0, 30);
    const hidden = rest.slice(30);
    return `<a href="${escapeHtml(url)}" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">${scheme}</span><span class="${hidden ? "ellipsis" : ""}">${escapeHtml(shown)}</span><span class="invisible">${escapeHtml(hidden)}</span></a>`;
  };
  const inline = (line: string) => line.split(/(https?:\/\/\S+)/).map((part, i) => (i % 2 ? link(part) : escapeHtml(part))).join("");
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${paragraph.split("\n").map(inline).join("<br />")}</p>`)
    .join("");
}

export async function startMastodon(options: { limits?: { maxCharacters?: number; maxMedia?: number; descriptionLimit?: number } } = {}): Promise<MastodonStandin> {
  const token = "jeton-de-test-" + Math.random().toString(36).slice(2);
  const accountId = "109000000000000001";
  const scripts = new Scripts();
  const statuses: StandinStatus[] = [];
  const media = new Map<string, StandinMedia>();
  const keys = new Map<string, { statusId: string; at: Date }>();
  const clock = { now: new Date() };
  let nextId = 110_000_000_000_000_000n;
  const newId = () => String(nextId++);
  const maxCharacters = options.limits?.maxCharacters ?? 500;
  const maxMedia = options.limits?.maxMedia ?? 4;
  const descriptionLimit = options.limits?.descriptionLimit ?? 1500;
  let base = "";

  const statusJson = (s: StandinStatus) => ({
    id: s.id,
    created_at: s.createdAt.toISOString(),
    visibility: s.visibility,
    language: s.language,
    uri: `${base}/users/relais/statuses/${s.id}`,
    url: s.url,
    content: renderContent(s.text),
    reblog: null,
    reblogs_count: s.reblogs,
    favourites_count: s.favourites,
    replies_count: s.replies,
    media_attachments: s.mediaIds.map((id) => ({ id, type: "image", description: media.get(id)?.description ?? null })),
  });
  const mediaJson = (m: StandinMedia, ready: boolean) => ({
    id: m.id,
    type: "image",
    url: ready ? `${base}/system/media/${m.id}.jpg` : null,
    preview_url: `${base}/system/media/${m.id}-small.jpg`,
    description: m.description,
    meta: m.focus ? { focus: { x: Number(m.focus.split(",")[0]), y: Number(m.focus.split(",")[1]) } } : {},
  });
  const makeStatus = (text: string, mediaIds: string[], visibility: string, language: string | null, createdAt: Date) => {
    const id = newId();
    const status = { id, text, mediaIds, visibility, language, createdAt, url: `${base}/@relais/${id}`, reblogs: 0, favourites: 0, replies: 0 };
    statuses.push(status);
    return status;
  };

  const routeOf = (method: string, url: URL) => `${method} ${url.pathname.replace(/\/\d+(?=\/|$)/g, "/:id")}`;

  const standin = await startStandin(
    routeOf,
    async (request, url) => {
      if (bearer(request) !== token) return { status: 401, body: { error: "The access token is invalid" } };
      switch (request.route) {
        case "GET /api/v2/instance":
          return {
            status: 200,
            body: {
              domain: "127.0.0.1",
              title: "Instance de test",
              version: "4.5.0",
              configuration: {
                statuses: { max_characters: maxCharacters, max_media_attachments: maxMedia, characters_reserved_per_url: 23 },
                media_attachments: {
                  supported_mime_types: ["image/jpeg", "image/png", "image/webp"],
                  description_limit: descriptionLimit,
                  image_size_limit: 16_777_216,
                  image_matrix_limit: 33_177_600,
                },
              },
            },
          };
        case "POST /api/v2/media": {
          const form = await new Response(new Uint8Array(request.body), { headers: { "content-type": request.headers["content-type"] ?? "" } }).formData().catch(() => null);
          const file = form?.get("file");
          if (!form || !(file instanceof Blob)) return { status: 422, body: { error: "Validation failed: File can't be blank" } };
          const description = String(form.get("description") ?? "");
          if (description.length > descriptionLimit) return { status: 422, body: { error: `Validation failed: Description is too long (maximum is ${descriptionLimit} characters)` } };
          const focus = form.get("focus");
          const item: StandinMedia = {
            id: newId(),
            size: file.size,
            mimeType: file.type,
            description,
            focus: typeof focus === "string" ? focus : null,
            processing: standinState.mediaProcessing,
            attached: false,
          };
          media.set(item.id, item);
          return item.processing > 0 ? { status: 202, body: mediaJson(item, false) } : { status: 200, body: mediaJson(item, true) };
        }
        case "GET /api/v1/media/:id": {
          const item = media.get(url.pathname.split("/").pop()!);
          if (!item || item.attached) return { status: 404, body: { error: "Record not found" } };
          if (item.processing > 0) {
            item.processing--;
            return { status: 206, body: mediaJson(item, false) };
          }
          return { status: 200, body: mediaJson(item, true) };
        }
        case "POST /api/v1/statuses": {
          const body = bodyOf(request) ?? {};
          const key = request.headers["idempotency-key"];
          if (typeof key === "string") {
            const known = keys.get(key);
            if (known && clock.now.getTime() - known.at.getTime() < 3600_000) {
              return { status: 200, body: statusJson(statuses.find((s) => s.id === known.statusId)!) };
            }
          }
          const text = typeof body.status === "string" ? body.status : "";
          const mediaIds = Array.isArray(body.media_ids) ? body.media_ids.map(String) : [];
          if (!text && mediaIds.length === 0) return { status: 422, body: { error: "Validation failed: Text can't be blank" } };
          if (countable(text) > maxCharacters) return { status: 422, body: { error: `Validation failed: Text character limit of ${maxCharacters} exceeded` } };
          if (mediaIds.length > maxMedia) return { status: 422, body: { error: `Validation failed: Media attachments too many (max ${maxMedia})` } };
          const attached = mediaIds.map((id) => media.get(id));
          if (attached.some((m) => !m || m.attached)) return { status: 422, body: { error: "Validation failed: Media attachments invalid" } };
          if (attached.some((m) => m!.processing > 0)) return { status: 422, body: { error: NOT_READY } };
          for (const m of attached) m!.attached = true;
          const status = makeStatus(text, mediaIds, String(body.visibility ?? "public"), typeof body.language === "string" ? body.language : null, clock.now);
          if (typeof key === "string") keys.set(key, { statusId: status.id, at: clock.now });
          return { status: 200, body: statusJson(status) };
        }
        case "GET /api/v1/statuses/:id": {
          // A status removed from `statuses` (deleted) answers like Mastodon: 404.
          const status = statuses.find((s) => s.id === url.pathname.split("/").pop());
          return status ? { status: 200, body: statusJson(status) } : { status: 404, body: { error: "Record not found" } };
        }
        case "GET /api/v1/accounts/verify_credentials":
          return { status: 200, body: { id: accountId, username: "relais", acct: "relais" } };
        case "GET /api/v1/accounts/:id/statuses": {
          if (url.pathname.split("/")[4] !== accountId) return { status: 404, body: { error: "Record not found" } };
          const limit = Math.min(40, Number(url.searchParams.get("limit") ?? 20));
          const maxId = url.searchParams.get("max_id");
          const newestFirst = [...statuses].sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
          const page = newestFirst.filter((s) => !maxId || BigInt(s.id) < BigInt(maxId)).slice(0, limit);
          return { status: 200, body: page.map(statusJson) };
        }
        default:
          return { status: 404, body: { error: "Not found" } };
      }
    },
    scripts,
  );
  base = standin.url;
  const standinState = Object.assign(standin, {
    token,
    accountId,
    statuses,
    media,
    clock,
    mediaProcessing: 0,
    fail: (route: string, reply: Reply, times?: number) => scripts.fail(route, reply, times),
    addStatus: (text: string, createdAt: Date) => makeStatus(text, [], "public", "fr", createdAt),
  });
  return standinState;
}
