import { sql, type Transaction } from "kysely";
import type { ImageAspect } from "../../db/schema";
import type { Actor } from "~/auth/actor";
import type { Database, DB } from "~/db.server";
import { notify } from "~/notifications/notifications.server";
import { audit } from "~/privacy/audit.server";
import { storage } from "~/photos/storage.server";
import { UserError } from "~/utils/errors.server";
import { BLUESKY_MAX_IMAGE_BYTES, deliverToBluesky, newTid } from "./bluesky.server";
import { assertPublisher, channelForDelivery, disableChannel, type ChannelView } from "./channels.server";
import { cropBox } from "./crops";
import { renderCrop, type RenderedCrop } from "./crops.server";
import { SecretError } from "./secrets.server";
import { DeliveryError, MAX_ATTEMPTS, nextAttemptAt, type DeliveryResult } from "./http.server";
import { deliverToMastodon, fetchInstanceLimits, mastodonFocus } from "./mastodon.server";
import { deliveryJobKey, embargoBlock, holdPublication, photoBlocks, queueDelivery } from "./queue.server";
import { deliverWebhook } from "./webhook.server";

/*
 * Delivery of one publication, run by the deliver_publication job. Exactly one post per
 * publication, even when a worker dies in the middle:
 * - the keys that make a repeat harmless are chosen before the first request and stored
 *   (Mastodon's Idempotency-Key, Bluesky's record key and createdAt, the webhook-id), and every
 *   try sends the same ones; past Mastodon's hour, the account's recent posts are read first;
 * - while a worker delivers, it holds a session advisory lock on the publication: PostgreSQL
 *   releases it the moment that worker's connection drops, so "nobody holds it" means "nobody is
 *   delivering", whatever the clocks say;
 * - marking the publication `publishing` also queues a watchdog run of the same job
 *   (WATCHDOG_MS later). A live delivery finishes first and replaces or removes it; if the worker
 *   died, the watchdog finds the lock free and delivers again with the same keys. (graphile-worker
 *   would only free a dead worker's job after four hours.)
 */

/** How long after a try starts the watchdog looks whether its worker is still alive. */
export const WATCHDOG_MS = 30_000;
/** First key of the advisory locks of deliveries (the second is the publication's id). */
const LOCK_SPACE = 0x50554231;

/** Widths rendered per kind: what each network shows at full size, with room to spare. */
const CROP_WIDTH = { mastodon: 1600, bluesky: 2000, webhook: 1200, feed: 1200, manual: 1080 } as const;

export type DeliveryRun =
  | { kind: "published"; url: string | null }
  | { kind: "retry"; at: Date; reason: string }
  | { kind: "failed"; message: string }
  | { kind: "held"; reason: string }
  | { kind: "skipped"; why: string };

/**
 * Runs one try of a publication's delivery (the deliver_publication task). Does nothing for a
 * publication that is not due (queued, held, cancelled, published…) or that another worker is
 * delivering right now. Never throws for what a network answers.
 */
export async function deliverPublication(db: DB, id: number, options: { now?: () => Date } = {}): Promise<DeliveryRun> {
  const now = options.now ?? (() => new Date());
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ got: boolean }>`SELECT pg_try_advisory_lock(${LOCK_SPACE}::int, ${id}::int) AS got`.execute(conn);
    if (!rows[0].got) {
      // Another worker is at it: look again later, in case it dies.
      await queueDelivery(db, id, new Date(now().getTime() + WATCHDOG_MS));
      return { kind: "skipped", why: "en cours ailleurs" } as const;
    }
    try {
      return await attempt(db, id, now);
    } finally {
      await sql`SELECT pg_advisory_unlock(${LOCK_SPACE}::int, ${id}::int)`.execute(conn);
    }
  });
}

type Started = {
  publication: {
    id: number;
    contribution_id: number;
    text: string;
    attempts: number;
    idempotency_key: string;
    bluesky_rkey: string | null;
    bluesky_created_at: Date | null;
    first_attempt_at: Date | null;
    scheduled_at: Date;
  };
  channel: NonNullable<Awaited<ReturnType<typeof channelForDelivery>>>;
};

async function attempt(db: DB, id: number, now: () => Date): Promise<DeliveryRun> {
  const start = await begin(db, id, now);
  if ("kind" in start) return start;
  let result: DeliveryResult;
  let measured: Measured[] = [];
  try {
    const prepared = await send(db, start, now);
    result = prepared.result;
    measured = prepared.measured;
  } catch (error) {
    // Not the network's answer: our own side (a photo file missing, a secret that no longer opens).
    const message = error instanceof Error ? error.message : String(error);
    result =
      error instanceof DeliveryError
        ? error.outcome
        : { kind: "permanent", status: 0, message: `Erreur de Relais avant l'envoi : ${message}` };
  }
  return finish(db, start, result, measured, now);
}

/** Marks the publication `publishing` (keys chosen, watchdog armed), or says why not. */
async function begin(db: DB, id: number, now: () => Date): Promise<Started | DeliveryRun> {
  const due = await db.transaction().execute(async (trx) => {
    const p = await trx
      .selectFrom("publication")
      .select(["id", "state", "channel_id", "contribution_id", "scheduled_at"])
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!p) return { kind: "skipped", why: "introuvable" } as const;
    if (p.state !== "scheduled" && p.state !== "publishing") return { kind: "skipped", why: p.state } as const;
    const at = new Date(p.scheduled_at);
    if (p.state === "scheduled" && at.getTime() > now().getTime() + 1000) {
      // Moved later since this job was queued.
      await queueDelivery(trx, id, at);
      return { kind: "skipped", why: "pas encore l'heure" } as const;
    }
    return null;
  });
  if (due) return due;

  // Rights and the embargo are read again at every try: nothing whose image rights lapsed is ever
  // sent, nor anything meant for a time before an embargo set or moved later since it was queued.
  // Held, not moved: comms chose that time, so comms chooses the next one (and releases it).
  const blocked = (await photoBlocks(db, id)) ?? (await embargoBlock(db, id));
  if (blocked) {
    await holdPublication(db, id, blocked);
    return { kind: "held", reason: blocked };
  }
  let channel;
  try {
    channel = await channelForDelivery(db, (await db.selectFrom("publication").select("channel_id").where("id", "=", id).executeTakeFirstOrThrow()).channel_id);
  } catch (error) {
    // SECRETS_KEY changed, or the sealed value was altered: comms must enter the secret again.
    if (!(error instanceof SecretError)) throw error;
    await db.transaction().execute((trx) => markFailed(trx, id, error.message));
    return { kind: "failed", message: error.message };
  }
  if (!channel) return { kind: "skipped", why: "canal introuvable" };
  if (channel.kind === "manual") return { kind: "skipped", why: "publication à la main" };

  return db.transaction().execute(async (trx) => {
    const p = await trx
      .updateTable("publication")
      .set({
        state: "publishing",
        attempts: sql`attempts + 1`,
        first_attempt_at: sql`coalesce(first_attempt_at, now())`,
        // Chosen once: every later try writes the very same Bluesky record.
        bluesky_rkey: sql`coalesce(bluesky_rkey, ${channel.kind === "bluesky" ? newTid(now()) : null})`,
        bluesky_created_at: sql`coalesce(bluesky_created_at, ${channel.kind === "bluesky" ? now() : null})`,
        updated_at: sql`now()`,
      })
      .where("id", "=", id)
      .where("state", "in", ["scheduled", "publishing"])
      .returning(["id", "contribution_id", "text", "attempts", "idempotency_key", "bluesky_rkey", "bluesky_created_at", "first_attempt_at", "scheduled_at"])
      .executeTakeFirst();
    if (!p) return { kind: "skipped", why: "changée entre-temps" } as const;
    if (!channel.enabled) {
      await trx
        .updateTable("publication")
        .set({ state: "failed", last_error: `Canal désactivé : ${channel.disabledReason ?? ""}`.trim(), updated_at: sql`now()` })
        .where("id", "=", id)
        .execute();
      return { kind: "failed", message: "Canal désactivé" } as const;
    }
    await queueDelivery(trx, id, new Date(now().getTime() + WATCHDOG_MS));
    return {
      publication: {
        ...p,
        scheduled_at: new Date(p.scheduled_at),
        bluesky_created_at: p.bluesky_created_at ? new Date(p.bluesky_created_at) : null,
        first_attempt_at: p.first_attempt_at ? new Date(p.first_attempt_at) : null,
      },
      channel,
    } as Started;
  });
}

interface Measured {
  photoId: number;
  width: number;
  height: number;
  bytes: number;
}

interface PublicationPhoto {
  photoId: number;
  alt: string;
  crop: RenderedCrop;
  /** The focal point within the crop (0..1 from its left and top). */
  focusInCrop: { x: number; y: number };
}

async function readAll(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of storage().createReadStream(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The publication's photos cut for the channel: each photo's aspect (the channel's unless chosen)
 * around its focal point (the publication's, else the photo's), JPEG, under the network's byte
 * limit (Bluesky: 1,000,000).
 */
export async function renderPublicationPhotos(
  db: DB,
  publicationId: number,
  channel: Pick<ChannelView, "kind" | "imageAspect">,
  onlyPhotoId?: number,
): Promise<PublicationPhoto[]> {
  const rows = await db
    .selectFrom("publication_photo as pp")
    .innerJoin("photo as ph", "ph.id", "pp.photo_id")
    .select(["pp.photo_id", "pp.aspect", "pp.focus_x", "pp.focus_y", "ph.master_key", "ph.width", "ph.height", "ph.focus_x as photo_focus_x", "ph.focus_y as photo_focus_y", "ph.alt_text"])
    .where("pp.publication_id", "=", publicationId)
    .$if(onlyPhotoId !== undefined, (q) => q.where("pp.photo_id", "=", onlyPhotoId!))
    .orderBy("pp.position")
    .execute();
  const photos: PublicationPhoto[] = [];
  for (const row of rows) {
    const focus = { x: row.focus_x ?? row.photo_focus_x, y: row.focus_y ?? row.photo_focus_y };
    const aspect: ImageAspect = row.aspect ?? channel.imageAspect;
    const box = cropBox(row.width, row.height, aspect, focus);
    const crop = await renderCrop(await readAll(row.master_key), box, {
      width: CROP_WIDTH[channel.kind],
      format: "jpeg",
      ...(channel.kind === "bluesky" ? { maxBytes: BLUESKY_MAX_IMAGE_BYTES } : {}),
    });
    const within = (v: number, from: number, size: number) => Math.min(1, Math.max(0, (v - from) / size));
    const focusInCrop = { x: within(focus.x * row.width, box.left, box.width), y: within(focus.y * row.height, box.top, box.height) };
    photos.push({ photoId: row.photo_id, alt: row.alt_text, crop, focusInCrop });
  }
  return photos;
}

/** The public address of a feed item's picture: its extension says its type (feeds.server.ts). */
export function feedImagePath(slug: string, publicationId: number, n: number): string {
  return `/feeds/${slug}/${publicationId}-${n}.jpeg`;
}

async function send(db: DB, start: Started, now: () => Date): Promise<{ result: DeliveryResult; measured: Measured[] }> {
  const { publication: p, channel } = start;
  const photos = await renderPublicationPhotos(db, p.id, channel);
  const measured = photos.map((ph) => ({ photoId: ph.photoId, width: ph.crop.width, height: ph.crop.height, bytes: ph.crop.data.length }));
  const settings = channel.settings;
  switch (channel.kind) {
    case "mastodon": {
      const account = { instanceUrl: settings.instanceUrl, accessToken: channel.secrets.accessToken ?? "" };
      let limits;
      try {
        limits = await fetchInstanceLimits(account);
      } catch (error) {
        if (error instanceof DeliveryError) return { result: error.outcome, measured };
        throw error;
      }
      const result = await deliverToMastodon(
        account,
        {
          text: p.text,
          media: photos.map((ph, i) => ({
            data: ph.crop.data,
            filename: `photo-${i + 1}.jpeg`,
            mimeType: ph.crop.mimeType,
            description: ph.alt,
            // Mastodon's previews crop again (16:9): around the same subject.
            focus: mastodonFocus(ph.focusInCrop.x, ph.focusInCrop.y),
          })),
          idempotencyKey: p.idempotency_key,
          firstAttemptAt: p.first_attempt_at ?? undefined,
          language: "fr",
        },
        { limits, now: now() },
      );
      return { result, measured };
    }
    case "bluesky": {
      const result = await deliverToBluesky(
        { service: settings.service, identifier: settings.identifier, appPassword: channel.secrets.appPassword ?? "" },
        {
          text: p.text,
          images: photos.map((ph) => ({ data: ph.crop.data, mimeType: ph.crop.mimeType, alt: ph.alt, width: ph.crop.width, height: ph.crop.height })),
          rkey: p.bluesky_rkey!,
          createdAt: p.bluesky_created_at!,
          langs: ["fr"],
        },
      );
      return { result, measured };
    }
    case "webhook": {
      const result = await deliverWebhook(
        {
          url: settings.url,
          secret: channel.secrets.webhookSecret ?? "",
          ...(settings.headerName && channel.secrets.headerValue ? { header: { name: settings.headerName, value: channel.secrets.headerValue } } : {}),
        },
        {
          id: p.idempotency_key,
          type: "publication.published",
          timestamp: p.first_attempt_at ?? now(),
          data: {
            id: p.id,
            text: p.text,
            scheduledAt: p.scheduled_at.toISOString(),
            // The pictures themselves: the receiver gets them with the message, and nothing of a
            // publication on a webhook channel is served publicly.
            images: photos.map((ph) => ({
              mimeType: ph.crop.mimeType,
              width: ph.crop.width,
              height: ph.crop.height,
              alt: ph.alt,
              base64: ph.crop.data.toString("base64"),
            })),
          },
        },
      );
      return { result, measured };
    }
    case "feed":
      // Being in the feed is the publication: its items are read from the published rows.
      return { result: { kind: "published", id: `urn:uuid:${p.idempotency_key}`, url: null }, measured };
    case "manual":
      return { result: { kind: "permanent", status: 0, message: "Canal manuel : marquez la publication comme publiée." }, measured };
  }
}

async function finish(db: DB, start: Started, result: DeliveryResult, measured: Measured[], now: () => Date): Promise<DeliveryRun> {
  const { publication: p, channel } = start;
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom("publication").select("state").where("id", "=", p.id).forUpdate().executeTakeFirstOrThrow();
    if (current.state !== "publishing") return { kind: "skipped", why: current.state } as const;
    switch (result.kind) {
      case "published":
        await markPublished(trx, p.id, result.id, result.url, measured);
        return { kind: "published", url: result.url } as const;
      case "retry": {
        const at = p.attempts < MAX_ATTEMPTS ? nextAttemptAt(p.attempts, result, now()) : null;
        if (!at) {
          await markFailed(trx, p.id, `${result.reason} (${p.attempts} essais)`);
          return { kind: "failed", message: result.reason } as const;
        }
        await trx.updateTable("publication").set({ state: "scheduled", last_error: result.reason, updated_at: sql`now()` }).where("id", "=", p.id).execute();
        await queueDelivery(trx, p.id, at);
        return { kind: "retry", at, reason: result.reason } as const;
      }
      case "permanent": {
        const message = result.status ? `HTTP ${result.status} : ${result.message}` : result.message;
        await markFailed(trx, p.id, message);
        return { kind: "failed", message } as const;
      }
      case "gone": {
        const reason = "Le point d'arrivée du webhook a répondu 410 (supprimé) : canal désactivé.";
        await markFailed(trx, p.id, reason);
        await disableChannel(trx, channel.id, reason);
        return { kind: "failed", message: reason } as const;
      }
    }
  });
}

async function markFailed(trx: Transaction<Database>, id: number, message: string): Promise<void> {
  await trx.updateTable("publication").set({ state: "failed", last_error: message.slice(0, 2000), updated_at: sql`now()` }).where("id", "=", id).execute();
  await sql`SELECT graphile_worker.remove_job(${deliveryJobKey(id)})`.execute(trx);
}

/** Records the post and tells the contributor "publiée sur <canal>", with its address. */
async function markPublished(trx: Transaction<Database>, id: number, remoteId: string, url: string | null, measured: Measured[], actor: Actor | null = null): Promise<void> {
  const row = await trx
    .updateTable("publication")
    // A network's address that is not http(s) is not stored (nor linked to).
    .set({ state: "published", remote_id: remoteId, remote_url: url && /^https?:\/\//.test(url) ? url : null, published_at: sql`now()`, last_error: null, held_reason: null, updated_at: sql`now()` })
    .where("id", "=", id)
    .returning(["contribution_id", "channel_id"])
    .executeTakeFirstOrThrow();
  for (const m of measured) {
    await trx
      .updateTable("publication_photo")
      .set({ width: m.width, height: m.height, bytes: m.bytes })
      .where("publication_id", "=", id)
      .where("photo_id", "=", m.photoId)
      .execute();
  }
  await sql`SELECT graphile_worker.remove_job(${deliveryJobKey(id)})`.execute(trx);
  const about = await trx
    .selectFrom("contribution as c")
    .innerJoin("channel as ch", (j) => j.on("ch.id", "=", row.channel_id))
    .select(["c.author_id", "c.title", "c.department_id", "ch.name as channel"])
    .where("c.id", "=", row.contribution_id)
    .executeTakeFirstOrThrow();
  await notify(trx, {
    userIds: [about.author_id],
    kind: "published",
    actorId: null,
    title: about.title,
    link: `/contributions/${row.contribution_id}`,
    contributionId: row.contribution_id,
    data: { channel: about.channel, ...(url ? { url } : {}) },
  });
  await audit(trx, actor, "publication_published", { type: "publication", id, departmentId: about.department_id }, { channel: row.channel_id, contribution: row.contribution_id });
}

/**
 * "Marquer comme publié" for a manual channel (comms and admins): the post's address as comms
 * copied it from the network. The contributor is told as for any other channel.
 */
export async function markPublishedByHand(db: DB, actor: Actor, id: number, url: string): Promise<void> {
  assertPublisher(actor);
  const address = url.trim();
  if (!/^https?:\/\/[^/\s]/.test(address) || !URL.canParse(address) || address.length > 2000) throw new UserError("publishing.errors.url", "url");
  await db.transaction().execute(async (trx) => {
    const p = await trx
      .selectFrom("publication as p")
      .innerJoin("channel as ch", "ch.id", "p.channel_id")
      .select(["p.state", "ch.kind"])
      .where("p.id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!p) throw new Response("Not Found", { status: 404 });
    if (p.kind !== "manual") throw new UserError("publishing.errors.notManual", "form", 409);
    if (!["queued", "scheduled", "failed"].includes(p.state)) throw new UserError("publishing.errors.notChangeable", "form", 409);
    await trx.updateTable("publication").set({ state: "publishing" }).where("id", "=", id).execute();
    await markPublished(trx, id, address, address, [], actor);
  });
}
