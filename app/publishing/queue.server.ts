import { sql, type Transaction } from "kysely";
import type { ChannelKind, ImageAspect, PublicationState } from "../../db/schema";
import type { Actor } from "~/auth/actor";
import { canView } from "~/contributions/visibility.server";
import type { Database, DB } from "~/db.server";
import { env } from "~/env.server";
import { tFor } from "~/i18n/i18n";
import { enqueue } from "~/jobs/queue.server";
import { externalBlocks } from "~/photos/rights.server";
import { audit } from "~/privacy/audit.server";
import { findPersonalData } from "~/privacy/personal-data-check";
import type { Audience, ExternalBlock } from "~/photos/rights";
import { dayOf, endOfDay, startOfDay } from "~/organisation/calendar.server";
import { formatDateTime } from "~/utils/dates";
import { UserError } from "~/utils/errors.server";
import { assertPublisher } from "./channels.server";
import { isAspect, type Focus } from "./crops";
import { isChangeable } from "./states";
import { FREE_SLOT_SEARCH_DAYS, nextFreeSlot, type Slot } from "./slots";
import { countGraphemes, mastodonLength } from "./text-length";

/*
 * The publishing queue: one publication is one approved contribution on one channel, with its
 * text, its photos (each with the channel's crop around a focal point) and its time.
 *
 * Lifecycle (docs/design.md): queued -> scheduled -> publishing -> published | failed, cancelled
 * from any state before published; `held` when an image right it uses was withdrawn or expired.
 * `queued` is in the queue with its slot but not yet to be delivered; `scheduled` has its
 * delivery job (deliver_publication, job key publication:<id>) waiting for its time.
 *
 * Slots are taken by the database, not by a check: a partial unique index on (channel,
 * scheduled_at) among live publications (every state but cancelled). Two comms members asking
 * at once both compute the same free slot; the second insert waits for the first, fails, and
 * the second takes the next slot.
 */

/** Photos per publication: Mastodon's and Bluesky's limit. */
const MAX_PHOTOS = 4;
/** How many slots creation tries when others keep taking them first. */
const SLOT_TRIES = 20;

const notFound = () => new Response("Not Found", { status: 404 });
const fr = () => tFor("fr");

export interface PhotoChoice {
  photoId: number;
  /** The channel's aspect when omitted. */
  aspect?: ImageAspect;
  /** The photo's own focal point when omitted. */
  focus?: Focus;
}

export interface NewPublication {
  contributionId: number;
  channelId: number;
  /** Prefilled from the contribution (prefillText) when omitted. */
  text?: string;
  /** The contribution's first four photos, in order, when omitted; [] for none. */
  photos?: PhotoChoice[];
  /** The channel's next free slot when omitted. */
  scheduledAt?: Date;
  /** false: queued, kept out of delivery until schedulePublication. Default true. */
  schedule?: boolean;
  /** Comms ticked "je confirme que ces données peuvent être publiées" (see checkPersonalData). */
  confirmPersonalData?: boolean;
}

/**
 * Refuses a text holding personal data (phone numbers, e-mail addresses, social security numbers,
 * IBANs: app/privacy/personal-data-check.ts) unless comms confirmed it may go out; returns how
 * many pieces were confirmed.
 */
function checkPersonalData(text: string, confirmed: boolean | undefined): number {
  const found = findPersonalData(text);
  if (found.length > 0 && !confirmed) throw new UserError("publishing.errors.personalData", "confirmPersonalData", 400, { count: found.length });
  return found.length;
}

/** Job key of a publication's delivery: one job per publication, whatever happens. */
export function deliveryJobKey(id: number): string {
  return `publication:${id}`;
}

/** Queues (or moves) the publication's delivery job to `runAt`. */
export async function queueDelivery(db: DB, id: number, runAt: Date): Promise<void> {
  await enqueue(db, "deliver_publication", { publicationId: id }, { jobKey: deliveryJobKey(id), runAt, maxAttempts: 5 });
}

async function removeDelivery(db: DB, id: number): Promise<void> {
  await sql`SELECT graphile_worker.remove_job(${deliveryJobKey(id)})`.execute(db);
}

/** An embargo as comms read it, in French and the organisation's time zone: "12 déc. 2026, 18:30". */
function embargoText(embargo: Date): string {
  return formatDateTime(embargo, "fr", env().ORGANISATION_TIME_ZONE);
}

/** Refuses a time before the contribution's embargo ("pas avant le …"); the embargo itself is allowed. */
function checkEmbargo(at: Date, embargo: Date | null): void {
  if (embargo && at.getTime() < embargo.getTime()) {
    throw new UserError("publishing.errors.beforeEmbargo", "scheduledAt", 400, { date: embargoText(embargo) });
  }
}

/**
 * Where a search for the next free slot starts: now, or the embargo when it is later (nextFreeSlot
 * looks strictly after its start, so a slot at the embargo's very instant is kept).
 */
function slotSearchStart(now: Date, embargo: Date | null): Date {
  return embargo && embargo.getTime() > now.getTime() ? new Date(embargo.getTime() - 1) : now;
}

/** The embargo of a publication's contribution, or null. */
async function embargoOf(db: DB, contributionId: number): Promise<Date | null> {
  const row = await db.selectFrom("contribution").select("embargo_until").where("id", "=", contributionId).executeTakeFirst();
  return row?.embargo_until ? new Date(row.embargo_until) : null;
}

/**
 * Why a publication may not go out at its time because of its contribution's embargo (in French,
 * stored as the held reason), or null. Delivery reads it before every try: an embargo moved later
 * after the publication was queued holds it rather than letting it out early.
 */
export async function embargoBlock(db: DB, publicationId: number): Promise<string | null> {
  const row = await db
    .selectFrom("publication as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .select(["p.scheduled_at", "c.embargo_until"])
    .where("p.id", "=", publicationId)
    .executeTakeFirst();
  if (!row?.embargo_until) return null;
  const embargo = new Date(row.embargo_until);
  if (new Date(row.scheduled_at).getTime() >= embargo.getTime()) return null;
  return fr()("publishing.publication.heldEmbargo", { date: embargoText(embargo) });
}

/** A contribution as prefillText needs it. */
export interface CreditSource {
  title: string;
  body_text: string;
  author_name: string;
  department_name: string;
  credit_opt_out: boolean;
}

/** "Contribution de Marie Curie, service Culture", or the department alone when the author opted out of being named. */
export function creditLine(c: Pick<CreditSource, "author_name" | "department_name" | "credit_opt_out">): string {
  return c.credit_opt_out ? `Contribution du service ${c.department_name}` : `Contribution de ${c.author_name}, service ${c.department_name}`;
}

/** Text cut to `max` graphemes, with an ellipsis when something was left out. */
function cut(text: string, max: number): string {
  if (countGraphemes(text) <= max) return text;
  if (max < 1) return "";
  const graphemes = [...new Intl.Segmenter("fr", { granularity: "grapheme" }).segment(text)].map((s) => s.segment);
  return graphemes.slice(0, max - 1).join("").trimEnd() + "…";
}

/**
 * A publication's first text: the title, as much of the contribution's text as fits the channel's
 * limit, and the credit line, which is always kept whole.
 */
export function prefillText(c: CreditSource, characterLimit: number): string {
  const credit = creditLine(c);
  const title = cut(c.title.trim(), Math.max(1, characterLimit - countGraphemes(credit) - 2));
  const room = characterLimit - countGraphemes(title) - countGraphemes(credit) - 4;
  const body = c.body_text.trim().replace(/\s*\n\s*\n\s*/g, "\n\n");
  const parts = [title, room > 10 && body ? cut(body, room) : "", credit].filter(Boolean);
  return parts.join("\n\n");
}

/**
 * Whom a channel's posts reach, for the consent register's scopes: feeds and webhooks feed the
 * organisation's website; Mastodon, Bluesky and the manual kit (Facebook, Instagram, LinkedIn…)
 * are social networks.
 */
export function audienceOf(kind: ChannelKind): Audience {
  return kind === "feed" || kind === "webhook" ? "website" : "social";
}

/** A text's length as the channel's network counts it. */
export function textLength(kind: ChannelKind, text: string): number {
  return kind === "mastodon" ? mastodonLength(text) : countGraphemes(text);
}

function reasonOf(block: { photo: number; reason: ExternalBlock }): string {
  return `${fr()("review.gates.photo", { n: block.photo })} : ${fr()(`review.gates.${block.reason}`)}`;
}

async function channelOf(db: DB, channelId: number) {
  const channel = await db
    .selectFrom("channel")
    .select(["id", "kind", "name", "character_limit", "image_aspect", "slots", "enabled", "disabled_reason"])
    .where("id", "=", channelId)
    .executeTakeFirst();
  if (!channel) throw notFound();
  return channel;
}

function checkText(kind: ChannelKind, text: string, limit: number): string {
  const clean = text.replace(/\0/g, "").replace(/\r\n?/g, "\n").trim();
  if (!clean) throw new UserError("publishing.errors.textEmpty", "text");
  const length = textLength(kind, clean);
  if (length > limit) throw new UserError("publishing.errors.textTooLong", "text", 400, { length, limit });
  return clean;
}

function checkFocus(choice: PhotoChoice, index: number): void {
  if (choice.aspect !== undefined && !isAspect(choice.aspect)) throw new UserError("publishing.errors.aspect", `photos.${index}.aspect`);
  if (choice.focus !== undefined) {
    const { x, y } = choice.focus;
    if (![x, y].every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1)) {
      throw new UserError("publishing.errors.focus", `photos.${index}.focus`);
    }
  }
}

/**
 * The photos a publication will use: each must belong to the contribution and be usable outside
 * (image rights, alt text); refused with the French reason otherwise.
 */
async function checkedPhotos(db: DB, contributionId: number, wanted: PhotoChoice[] | undefined, audience: Audience): Promise<PhotoChoice[]> {
  const photos = await db.selectFrom("photo").select(["id", "position"]).where("contribution_id", "=", contributionId).orderBy("position").execute();
  // By default the first four: what every network takes in one post.
  const choices = wanted ?? photos.slice(0, MAX_PHOTOS).map((p) => ({ photoId: p.id }));
  if (new Set(choices.map((c) => c.photoId)).size !== choices.length) throw new UserError("publishing.errors.photoTwice", "photos");
  if (choices.length > MAX_PHOTOS) throw new UserError("publishing.errors.tooManyPhotos", "photos", 400, { max: MAX_PHOTOS });
  const blocks = await externalBlocks(db, contributionId, audience);
  for (const [index, choice] of choices.entries()) {
    const at = photos.findIndex((p) => p.id === choice.photoId);
    if (at < 0) throw new UserError("publishing.errors.photoUnknown", "photos");
    checkFocus(choice, index);
    const block = blocks.find((b) => b.photo === at + 1);
    if (block) throw new UserError("publishing.errors.photoBlocked", "photos", 400, { reason: reasonOf(block) });
  }
  return choices;
}

/** The contribution a publication is made from, for a publisher; 404 when they may not see it. */
async function sourceOf(db: DB, actor: Actor, contributionId: number) {
  const c = await db
    .selectFrom("contribution as c")
    .innerJoin("app_user as a", "a.id", "c.author_id")
    .innerJoin("department as d", "d.id", "c.department_id")
    .select([
      "c.id",
      "c.title",
      "c.body_text",
      "c.status",
      "c.visibility",
      "c.external_eligible",
      "c.author_id",
      "c.department_id",
      "c.embargo_until",
      "a.display_name as author_name",
      "a.credit_opt_out",
      "d.name as department_name",
    ])
    .where("c.id", "=", contributionId)
    .executeTakeFirst();
  if (!c || !canView(actor, c)) throw notFound();
  if (c.status !== "approved") throw new UserError("publishing.errors.notApproved", "contributionId", 409);
  // Comms decided at approval whether it may go outside; unticked, it is "interne uniquement".
  if (!c.external_eligible) throw new UserError("publishing.errors.internalOnly", "contributionId", 409);
  return c;
}

/** Instants of the channel already taken by live publications, from `after` on. */
async function takenSlots(db: DB, channelId: number, after: Date): Promise<Set<number>> {
  const rows = await db
    .selectFrom("publication")
    .select("scheduled_at")
    .where("channel_id", "=", channelId)
    .where("state", "<>", "cancelled")
    .where("scheduled_at", ">", after)
    .where("scheduled_at", "<=", new Date(after.getTime() + (FREE_SLOT_SEARCH_DAYS + 1) * 86_400_000))
    .execute();
  return new Set(rows.map((r) => new Date(r.scheduled_at).getTime()));
}

/**
 * The channel's next free posting slot after `after` (now by default), and not before `embargo`
 * when one is given, in the organisation's time zone; null when every slot of the coming weeks is
 * taken. Only a proposal: creation takes it under the unique index.
 */
export async function proposeSlot(db: DB, actor: Actor, channelId: number, after: Date = new Date(), embargo: Date | null = null): Promise<Date | null> {
  assertPublisher(actor);
  const channel = await channelOf(db, channelId);
  const start = slotSearchStart(after, embargo);
  return nextFreeSlot(channel.slots as Slot[], env().ORGANISATION_TIME_ZONE, start, await takenSlots(db, channelId, start));
}

const LIVE_SLOT = "publication_channel_slot_key";
const LIVE_PAIR = "publication_contribution_channel_key";
const constraintOf = (error: unknown) => ((error as { code?: string }).code === "23505" ? (error as { constraint?: string }).constraint : undefined);

function checkTime(at: Date): Date {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new UserError("publishing.errors.time", "scheduledAt");
  if (at.getTime() <= Date.now()) throw new UserError("publishing.errors.timePast", "scheduledAt");
  return at;
}

/**
 * Puts an approved contribution that is eligible for external use on a channel (comms and
 * admins; 403 otherwise, 404 for a contribution or channel they may not see). Refused with a
 * French message (a UserError): not approved, "interne uniquement", a photo whose rights do not
 * allow external use, a disabled channel, a text over the channel's limit, a time in the past or
 * before the contribution's embargo, the contribution already on that channel, or the chosen slot
 * taken. Without a time, takes the channel's next free slot (from the embargo when it is later),
 * retrying with the next one when another publication took it first.
 */
export async function createPublication(db: DB, actor: Actor, input: NewPublication): Promise<{ id: number; scheduledAt: Date }> {
  assertPublisher(actor);
  const source = await sourceOf(db, actor, input.contributionId);
  const channel = await channelOf(db, input.channelId);
  if (!channel.enabled) throw new UserError("publishing.errors.channelDisabled", "channelId", 409, { reason: channel.disabled_reason ?? "" });
  const text = checkText(channel.kind, input.text ?? prefillText(source, channel.character_limit), channel.character_limit);
  const personalData = checkPersonalData(text, input.confirmPersonalData);
  const photos = await checkedPhotos(db, source.id, input.photos, audienceOf(channel.kind));
  const chosen = input.scheduledAt ? checkTime(input.scheduledAt) : null;
  const embargo = source.embargo_until ? new Date(source.embargo_until) : null;
  if (chosen) checkEmbargo(chosen, embargo);
  const schedule = input.schedule ?? true;
  const now = slotSearchStart(new Date(), embargo);
  const taken = chosen ? new Set<number>() : await takenSlots(db, channel.id, now);

  for (let tries = 0; tries < SLOT_TRIES; tries++) {
    const at = chosen ?? nextFreeSlot(channel.slots as Slot[], env().ORGANISATION_TIME_ZONE, now, taken);
    if (!at) throw new UserError("publishing.errors.noFreeSlot", "scheduledAt", 409, { days: FREE_SLOT_SEARCH_DAYS });
    try {
      const id = await db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto("publication")
          .values({
            contribution_id: source.id,
            channel_id: channel.id,
            text,
            scheduled_at: at,
            state: schedule ? "scheduled" : "queued",
            created_by: actor.id,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await insertPhotos(trx, row.id, photos);
        if (schedule) await queueDelivery(trx, row.id, at);
        await audit(trx, actor, "publication_created", { type: "publication", id: row.id, departmentId: source.department_id }, {
          channel: channel.id,
          contribution: source.id,
          ...(personalData ? { personal_data_confirmed: personalData } : {}),
        });
        return row.id;
      });
      return { id, scheduledAt: at };
    } catch (error) {
      const constraint = constraintOf(error);
      if (constraint === LIVE_PAIR) throw new UserError("publishing.errors.alreadyOnChannel", "channelId", 409);
      if (constraint !== LIVE_SLOT) throw error;
      if (chosen) throw new UserError("publishing.errors.slotTaken", "scheduledAt", 409);
      taken.add(at.getTime());
    }
  }
  throw new UserError("publishing.errors.busy", "scheduledAt", 409);
}

async function insertPhotos(trx: Transaction<Database>, publicationId: number, photos: PhotoChoice[]): Promise<void> {
  await trx.deleteFrom("publication_photo").where("publication_id", "=", publicationId).execute();
  if (photos.length === 0) return;
  await trx
    .insertInto("publication_photo")
    .values(
      photos.map((p, position) => ({
        publication_id: publicationId,
        photo_id: p.photoId,
        position,
        aspect: p.aspect ?? null,
        focus_x: p.focus?.x ?? null,
        focus_y: p.focus?.y ?? null,
      })),
    )
    .execute();
}

/** A publication locked for a change by a publisher; 404 when there is none. */
async function lockPublication(trx: Transaction<Database>, id: number) {
  const row = await trx
    .selectFrom("publication")
    .select(["id", "state", "channel_id", "contribution_id", "scheduled_at", "version"])
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound();
  return row;
}

/**
 * Moves a publication to another time (comms and admins), or to the channel's next free slot
 * (from the contribution's embargo when it is later) with "next". Refused when the slot is taken,
 * the time is past or before the embargo, or it is being delivered or already published. A
 * scheduled publication's delivery moves with it; a held one stays held until released.
 */
export async function movePublication(db: DB, actor: Actor, id: number, to: Date | "next"): Promise<{ scheduledAt: Date }> {
  assertPublisher(actor);
  const target = to === "next" ? null : checkTime(to);
  const skip = new Set<number>();
  for (let tries = 0; tries < SLOT_TRIES; tries++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const p = await lockPublication(trx, id);
        if (!isChangeable(p.state)) throw new UserError("publishing.errors.notChangeable", "form", 409);
        const embargo = await embargoOf(trx, p.contribution_id);
        let at = target;
        if (at) checkEmbargo(at, embargo);
        else {
          const channel = await channelOf(trx, p.channel_id);
          const start = slotSearchStart(new Date(), embargo);
          const taken = await takenSlots(trx, p.channel_id, start);
          for (const t of skip) taken.add(t);
          at = nextFreeSlot(channel.slots as Slot[], env().ORGANISATION_TIME_ZONE, start, taken);
          if (!at) throw new UserError("publishing.errors.noFreeSlot", "scheduledAt", 409, { days: FREE_SLOT_SEARCH_DAYS });
        }
        // A failed one moved to a new time is tried again then, with the same idempotency key.
        const state = p.state === "failed" ? "scheduled" : p.state;
        await trx
          .updateTable("publication")
          .set({ scheduled_at: at, state, attempts: p.state === "failed" ? 0 : sql`attempts`, version: sql`version + 1`, updated_at: sql`now()` })
          .where("id", "=", id)
          .execute();
        if (state === "scheduled") await queueDelivery(trx, id, at);
        return { scheduledAt: at };
      });
    } catch (error) {
      if (constraintOf(error) !== LIVE_SLOT) throw error;
      if (target) throw new UserError("publishing.errors.slotTaken", "scheduledAt", 409);
      // The slot went to someone else between our look and our write.
      const p = await db.selectFrom("publication").select(["channel_id", "contribution_id"]).where("id", "=", id).executeTakeFirstOrThrow();
      const taken = await takenSlots(db, p.channel_id, slotSearchStart(new Date(), await embargoOf(db, p.contribution_id)));
      for (const t of taken) skip.add(t);
    }
  }
  throw new UserError("publishing.errors.busy", "scheduledAt", 409);
}

/** Cancels a publication not yet published nor being delivered (comms and admins); its delivery job goes. */
export async function cancelPublication(db: DB, actor: Actor, id: number): Promise<void> {
  assertPublisher(actor);
  await db.transaction().execute(async (trx) => {
    const p = await lockPublication(trx, id);
    if (p.state === "cancelled") return;
    if (p.state === "publishing") throw new UserError("publishing.errors.inFlight", "form", 409);
    if (!isChangeable(p.state)) throw new UserError("publishing.errors.notChangeable", "form", 409);
    await trx.updateTable("publication").set({ state: "cancelled", version: sql`version + 1`, updated_at: sql`now()` }).where("id", "=", id).execute();
    await removeDelivery(trx, id);
    const { department_id } = await trx.selectFrom("contribution").select("department_id").where("id", "=", p.contribution_id).executeTakeFirstOrThrow();
    await audit(trx, actor, "publication_cancelled", { type: "publication", id, departmentId: department_id }, { channel: p.channel_id, contribution: p.contribution_id });
  });
}

/** Sends a queued publication on its way at its time (or at once if its time has passed). */
export async function schedulePublication(db: DB, actor: Actor, id: number): Promise<void> {
  assertPublisher(actor);
  await db.transaction().execute(async (trx) => {
    const p = await lockPublication(trx, id);
    if (p.state !== "queued") throw new UserError("publishing.errors.notQueued", "form", 409);
    await trx.updateTable("publication").set({ state: "scheduled", version: sql`version + 1`, updated_at: sql`now()` }).where("id", "=", id).execute();
    await queueDelivery(trx, id, new Date(Math.max(Date.now(), new Date(p.scheduled_at).getTime())));
  });
}

/**
 * Tries a failed publication again (the "réessayer" button): scheduled at once, with the same
 * idempotency key and Bluesky record key, so that a post the network did make is not made twice.
 */
export async function retryPublication(db: DB, actor: Actor, id: number): Promise<void> {
  assertPublisher(actor);
  await db.transaction().execute(async (trx) => {
    const p = await lockPublication(trx, id);
    if (p.state !== "failed") throw new UserError("publishing.errors.notFailed", "form", 409);
    await trx
      .updateTable("publication")
      .set({ state: "scheduled", attempts: 0, version: sql`version + 1`, updated_at: sql`now()` })
      .where("id", "=", id)
      .execute();
    await queueDelivery(trx, id, new Date());
  });
}

/**
 * Changes a publication's text and photos (comms and admins) while it can still change. A held
 * publication whose photos are now all usable outside goes back to scheduled.
 */
export async function updatePublication(
  db: DB,
  actor: Actor,
  id: number,
  change: { text?: string; photos?: PhotoChoice[]; confirmPersonalData?: boolean },
): Promise<void> {
  assertPublisher(actor);
  const current = await db.selectFrom("publication").select(["contribution_id", "channel_id", "text"]).where("id", "=", id).executeTakeFirst();
  if (!current) throw notFound();
  const channel = await channelOf(db, current.channel_id);
  const text = checkText(channel.kind, change.text ?? current.text, channel.character_limit);
  // A new text is checked again; the one already confirmed at creation is not asked about twice.
  if (text !== current.text) checkPersonalData(text, change.confirmPersonalData);
  const photos = change.photos ? await checkedPhotos(db, current.contribution_id, change.photos, audienceOf(channel.kind)) : null;
  await db.transaction().execute(async (trx) => {
    const p = await lockPublication(trx, id);
    if (!isChangeable(p.state)) throw new UserError("publishing.errors.notChangeable", "form", 409);
    if (photos) await insertPhotos(trx, id, photos);
    await trx.updateTable("publication").set({ text, version: sql`version + 1`, updated_at: sql`now()` }).where("id", "=", id).execute();
  });
  await releaseIfClear(db, id);
}

/**
 * Puts a held publication back on schedule when none of its photos is blocked any more (comms and
 * admins); refused with the remaining reason otherwise.
 */
export async function releasePublication(db: DB, actor: Actor, id: number): Promise<void> {
  assertPublisher(actor);
  const p = await db.selectFrom("publication").select("state").where("id", "=", id).executeTakeFirst();
  if (!p) throw notFound();
  if (p.state !== "held") throw new UserError("publishing.errors.notHeld", "form", 409);
  const blocked = await photoBlocks(db, id);
  if (blocked) throw new UserError("publishing.errors.photoBlocked", "photos", 409, { reason: blocked });
  if (await embargoBlock(db, id)) {
    const { contribution_id } = await db.selectFrom("publication").select("contribution_id").where("id", "=", id).executeTakeFirstOrThrow();
    throw new UserError("publishing.errors.beforeEmbargo", "scheduledAt", 409, { date: embargoText((await embargoOf(db, contribution_id))!) });
  }
  await releaseIfClear(db, id);
}

async function releaseIfClear(db: DB, id: number): Promise<void> {
  if ((await photoBlocks(db, id)) || (await embargoBlock(db, id))) return;
  await db.transaction().execute(async (trx) => {
    const p = await lockPublication(trx, id);
    if (p.state !== "held") return;
    await trx.updateTable("publication").set({ state: "scheduled", held_reason: null, version: sql`version + 1`, updated_at: sql`now()` }).where("id", "=", id).execute();
    await queueDelivery(trx, id, new Date(Math.max(Date.now(), new Date(p.scheduled_at).getTime())));
  });
}

/**
 * Why the publication's photos may not go outside now (the first reason, in French), or null.
 * Read at every delivery too: nothing whose rights lapsed is ever sent.
 */
export async function photoBlocks(db: DB, publicationId: number): Promise<string | null> {
  const p = await db
    .selectFrom("publication as p")
    .innerJoin("channel as ch", "ch.id", "p.channel_id")
    .select(["p.contribution_id", "ch.kind"])
    .where("p.id", "=", publicationId)
    .executeTakeFirst();
  if (!p) return null;
  const used = await db.selectFrom("publication_photo").select("photo_id").where("publication_id", "=", publicationId).execute();
  if (used.length === 0) return null;
  // externalBlocks numbers photos from 1 in the contribution's order.
  const ordered = await db.selectFrom("photo").select("id").where("contribution_id", "=", p.contribution_id).orderBy("position").execute();
  const numbers = new Set(used.map((u) => ordered.findIndex((o) => o.id === u.photo_id) + 1));
  const block = (await externalBlocks(db, p.contribution_id, audienceOf(p.kind))).find((b) => numbers.has(b.photo));
  return block ? reasonOf(block) : null;
}

/**
 * Holds every publication not yet delivered that uses this photo, with the reason (an image right
 * withdrawn or expired). Runs as the job the photos module queues in the very transaction that
 * records the withdrawal (hold_publications_for_photo); delivery checks the rights again itself.
 * Returns how many were held.
 */
export async function holdPublicationsUsingPhoto(db: DB, photoId: number): Promise<number> {
  const photo = await db.selectFrom("photo").select(["contribution_id"]).where("id", "=", photoId).executeTakeFirst();
  if (!photo) return 0;
  const candidates = await db
    .selectFrom("publication as p")
    .innerJoin("publication_photo as pp", "pp.publication_id", "p.id")
    .select("p.id")
    .where("pp.photo_id", "=", photoId)
    .where("p.state", "in", ["queued", "scheduled", "failed"])
    .execute();
  let held = 0;
  for (const { id } of candidates) {
    const reason = await photoBlocks(db, id);
    if (reason && (await holdPublication(db, id, reason))) held++;
  }
  return held;
}

/** Holds one publication not yet delivered, with the reason shown on the queue; false when it had gone on. */
export async function holdPublication(db: DB, id: number, reason: string): Promise<boolean> {
  const row = await db
    .updateTable("publication")
    .set({ state: "held", held_reason: reason, version: sql`version + 1`, updated_at: sql`now()` })
    .where("id", "=", id)
    .where("state", "in", ["queued", "scheduled", "failed", "publishing"])
    .returning("id")
    .executeTakeFirst();
  return !!row;
}

/** One line of the queue or the calendar, for comms: never a channel's secrets. */
export interface QueueItem {
  id: number;
  state: PublicationState;
  scheduledAt: Date;
  text: string;
  heldReason: string | null;
  lastError: string | null;
  attempts: number;
  remoteUrl: string | null;
  publishedAt: Date | null;
  contribution: { id: number; title: string };
  channel: { id: number; name: string; kind: ChannelKind; slug: string };
}

function queueRows(db: DB) {
  return db
    .selectFrom("publication as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .innerJoin("channel as ch", "ch.id", "p.channel_id")
    .select([
      "p.id",
      "p.state",
      "p.scheduled_at",
      "p.text",
      "p.held_reason",
      "p.last_error",
      "p.attempts",
      "p.remote_url",
      "p.published_at",
      "c.id as contribution_id",
      "c.title",
      "ch.id as channel_id",
      "ch.name as channel_name",
      "ch.kind as channel_kind",
      "ch.slug as channel_slug",
    ]);
}

function toItem(r: Awaited<ReturnType<ReturnType<typeof queueRows>["execute"]>>[number]): QueueItem {
  return {
    id: r.id,
    state: r.state,
    scheduledAt: new Date(r.scheduled_at),
    text: r.text,
    heldReason: r.held_reason,
    lastError: r.last_error,
    attempts: r.attempts,
    remoteUrl: r.remote_url,
    publishedAt: r.published_at ? new Date(r.published_at) : null,
    contribution: { id: r.contribution_id, title: r.title },
    channel: { id: r.channel_id, name: r.channel_name, kind: r.channel_kind, slug: r.channel_slug },
  };
}

/**
 * The queue across channels, by time (comms and admins): publications from `from` (included) to
 * `to` (excluded), of one channel or all, of some states or all but cancelled. For the list and
 * the week/month calendar; at most `limit` (500) rows.
 */
export async function listQueue(
  db: DB,
  actor: Actor,
  options: { from?: Date; to?: Date; channelId?: number; states?: PublicationState[]; limit?: number } = {},
): Promise<QueueItem[]> {
  assertPublisher(actor);
  let q = queueRows(db);
  if (options.from) q = q.where("p.scheduled_at", ">=", options.from);
  if (options.to) q = q.where("p.scheduled_at", "<", options.to);
  if (options.channelId) q = q.where("p.channel_id", "=", options.channelId);
  q = options.states?.length ? q.where("p.state", "in", options.states) : q.where("p.state", "<>", "cancelled");
  const rows = await q
    .orderBy("p.scheduled_at")
    .orderBy("p.id")
    .limit(Math.min(options.limit ?? 500, 500))
    .execute();
  return rows.map(toItem);
}

/** A place in the queue's order (time, then id): where a page of the list ends. */
export interface QueueCursor {
  at: Date;
  id: number;
}

/** Publications per page of the queue list. */
export const QUEUE_PAGE_SIZE = 50;

export interface QueuePage {
  items: QueueItem[];
  /** Where the page of earlier publications ends ("plus anciennes"), or null when there is none. */
  earlier: QueueCursor | null;
  /** Where the page of later publications starts ("plus récentes"), or null when there is none. */
  later: QueueCursor | null;
}

/**
 * One page of the queue list (comms and admins), by time then id, read by keyset so that a page
 * costs the same wherever it is: from `start` on by default, after or before a cursor otherwise.
 * `from`/`to` (a day), `channelId` and `states` (all but cancelled by default) filter it.
 */
export async function listQueuePage(
  db: DB,
  actor: Actor,
  options: { start?: Date; after?: QueueCursor; before?: QueueCursor; from?: Date; to?: Date; channelId?: number; states?: PublicationState[]; size?: number } = {},
): Promise<QueuePage> {
  assertPublisher(actor);
  const size = Math.min(Math.max(options.size ?? QUEUE_PAGE_SIZE, 1), 100);
  const filtered = () => {
    let q = queueRows(db);
    if (options.from) q = q.where("p.scheduled_at", ">=", options.from);
    if (options.to) q = q.where("p.scheduled_at", "<", options.to);
    if (options.channelId) q = q.where("p.channel_id", "=", options.channelId);
    return options.states?.length ? q.where("p.state", "in", options.states) : q.where("p.state", "<>", "cancelled");
  };
  const key = sql`(p.scheduled_at, p.id)`;
  const row = (c: QueueCursor) => sql`(${c.at}::timestamptz, ${c.id}::int)`;
  const exists = async (where: ReturnType<typeof sql<boolean>>) => !!(await filtered().where(where).select(sql`1`.as("one")).limit(1).executeTakeFirst());

  let rows;
  let more: boolean;
  if (options.before) {
    const desc = await filtered().where(sql<boolean>`${key} < ${row(options.before)}`).orderBy("p.scheduled_at", "desc").orderBy("p.id", "desc").limit(size + 1).execute();
    more = desc.length > size;
    rows = desc.slice(0, size).reverse();
  } else {
    let q = filtered();
    if (options.after) q = q.where(sql<boolean>`${key} > ${row(options.after)}`);
    else if (options.start) q = q.where("p.scheduled_at", ">=", options.start);
    const asc = await q.orderBy("p.scheduled_at").orderBy("p.id").limit(size + 1).execute();
    more = asc.length > size;
    rows = asc.slice(0, size);
  }
  const items = rows.map(toItem);
  const first = items[0];
  const last = items.at(-1);
  const cursorOf = (i: QueueItem): QueueCursor => ({ at: i.scheduledAt, id: i.id });
  let earlier: QueueCursor | null = null;
  let later: QueueCursor | null = null;
  if (options.before) {
    earlier = more && first ? cursorOf(first) : null;
    const edge = last ? cursorOf(last) : { at: options.before.at, id: options.before.id - 1 };
    later = (await exists(sql<boolean>`${key} > ${row(edge)}`)) ? edge : null;
  } else {
    later = more && last ? cursorOf(last) : null;
    const edge = first ? cursorOf(first) : options.after ? { at: options.after.at, id: options.after.id + 1 } : options.start ? { at: options.start, id: 0 } : null;
    if (edge) earlier = (await exists(sql<boolean>`${key} < ${row(edge)}`)) ? edge : null;
  }
  return { items, earlier, later };
}

/** How many publications a calendar cell (a day) shows at most, per view. */
export const CALENDAR_CELL_CAP = { week: 8, month: 3 } as const;

export interface CalendarOverflow {
  /** The organisation's day (YYYY-MM-DD). */
  day: string;
  channel: { id: number; name: string };
  /** Publications of that channel that day not shown in the cell. */
  count: number;
}

/**
 * The week or month calendar (comms and admins): per day of the organisation, the first `perDay`
 * publications by time, and per day and channel how many more there are ("+ 12 autres"). The
 * ranking and the counts are made by the database over the period; only the shown rows are read.
 */
export async function calendarQueue(db: DB, actor: Actor, options: { from: Date; to: Date; perDay: number }): Promise<{ items: (QueueItem & { day: string })[]; overflow: CalendarOverflow[] }> {
  assertPublisher(actor);
  // The period's days, each with its bounds: a day's publications are read down an index by their
  // time (range conditions, never the time zone of each row).
  const inPeriodDay = (alias: string) => sql`
    p.scheduled_at >= ${startOfDay(sql.ref(`${alias}.day`))} AND p.scheduled_at < ${endOfDay(sql.ref(`${alias}.day`))}
    AND p.scheduled_at >= ${options.from} AND p.scheduled_at < ${options.to} AND p.state <> 'cancelled'`;
  const days = sql`generate_series(${dayOf(options.from)}, ${dayOf(sql`${options.to}::timestamptz - interval '1 microsecond'`)}, interval '1 day') AS g(at)
    CROSS JOIN LATERAL (SELECT g.at::date AS day) d`;
  // Each day's first few, read day by day down publication_scheduled_idx (a LIMIT per day): ranking
  // every publication of the period (5,400 in the benchmark's month) took ~13 ms of the database.
  const firstOfEachDay = sql<{ ranked_id: number; day: string }>`(
    SELECT x.id AS ranked_id, d.day::text AS day
    FROM ${days}
    CROSS JOIN LATERAL (SELECT p.id FROM publication p WHERE ${inPeriodDay("d")} ORDER BY p.scheduled_at, p.id LIMIT ${options.perDay}) x
  )`;
  // How many each channel has each day, counted down publication_channel_slot_key (channel, time):
  // grouping the period's rows by their local day and channel took another ~13 ms for a busy month.
  const perChannelDay = sql<{ day: string; id: number; name: string; n: number }>`
    SELECT d.day::text AS day, ch.id, ch.name, (SELECT count(*)::int FROM publication p WHERE p.channel_id = ch.id AND ${inPeriodDay("d")}) AS n
    FROM ${days} CROSS JOIN channel ch`;
  const [shown, totals] = await Promise.all([
    queueRows(db)
      .innerJoin(firstOfEachDay.as("r"), (join) => join.onRef("r.ranked_id", "=", "p.id"))
      .select("r.day")
      .orderBy("p.scheduled_at")
      .orderBy("p.id")
      .execute(),
    perChannelDay.execute(db).then((r) => r.rows),
  ]);
  const items = shown.map((r) => ({ ...toItem(r), day: r.day }));
  const overflow = totals.flatMap((t) => {
    const count = t.n - items.filter((i) => i.day === t.day && i.channel.id === t.id).length;
    return count > 0 ? [{ day: t.day, channel: { id: t.id, name: t.name }, count }] : [];
  });
  return { items, overflow };
}

/** One publication with its photos (comms and admins); 404 when there is none. */
export async function getPublication(db: DB, actor: Actor, id: number) {
  assertPublisher(actor);
  const row = await queueRows(db).where("p.id", "=", id).executeTakeFirst();
  if (!row) throw notFound();
  const photos = await db
    .selectFrom("publication_photo")
    .select(["photo_id as photoId", "position", "aspect", "focus_x as focusX", "focus_y as focusY"])
    .where("publication_id", "=", id)
    .orderBy("position")
    .execute();
  const { character_limit } = await db.selectFrom("channel").select("character_limit").where("id", "=", row.channel_id).executeTakeFirstOrThrow();
  return { ...toItem(row), photos, characterLimit: character_limit };
}

export interface Conflict {
  kind: "slot" | "contribution";
  publicationId: number;
  title: string;
  scheduledAt: Date;
  state: PublicationState;
}

/**
 * What saving would run into, shown before saving (comms and admins): another live publication in
 * that slot of the channel, or the same contribution already live on the channel. `excludeId` is
 * the publication being moved.
 */
export async function conflictsFor(
  db: DB,
  actor: Actor,
  proposal: { channelId: number; scheduledAt: Date; contributionId?: number; excludeId?: number },
): Promise<Conflict[]> {
  assertPublisher(actor);
  const rows = await db
    .selectFrom("publication as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .select(["p.id", "p.scheduled_at", "p.state", "p.contribution_id", "c.title"])
    .where("p.channel_id", "=", proposal.channelId)
    .where("p.state", "<>", "cancelled")
    .where((eb) => {
      const either = [eb("p.scheduled_at", "=", proposal.scheduledAt)];
      if (proposal.contributionId !== undefined) either.push(eb("p.contribution_id", "=", proposal.contributionId));
      return eb.or(either);
    })
    .$if(proposal.excludeId !== undefined, (q) => q.where("p.id", "<>", proposal.excludeId!))
    .orderBy("p.id")
    .execute();
  return rows.flatMap((r) => {
    const base = { publicationId: r.id, title: r.title, scheduledAt: new Date(r.scheduled_at), state: r.state };
    const found: Conflict[] = [];
    if (new Date(r.scheduled_at).getTime() === proposal.scheduledAt.getTime()) found.push({ kind: "slot", ...base });
    if (r.contribution_id === proposal.contributionId) found.push({ kind: "contribution", ...base });
    return found;
  });
}
