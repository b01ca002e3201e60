import { sql, type Transaction } from "kysely";
import { z } from "zod";
import type { ChannelKind, ImageAspect } from "../../db/schema";
import type { Actor } from "~/auth/actor";
import type { Database, DB } from "~/db.server";
import { audit } from "~/privacy/audit.server";
import { notifyComms } from "~/notifications/notifications.server";
import { FormRefusal, UserError } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { ASPECT_NAMES } from "./crops";
import { decryptSecret, encryptSecret, SecretError } from "./secrets.server";
import { DEFAULT_SLOTS, isSlotTime, type Slot } from "./slots";
import { generateWebhookSecret, webhookHeaderProblem } from "./webhook.server";

/*
 * Channels: where comms publish. Settings that are not secret are plain columns or jsonb; tokens,
 * app passwords and webhook secrets are sealed (secrets.server.ts) in `secret_sealed`, which no
 * function here returns: a ChannelView is what routes may hand to a browser. Only delivery opens
 * the secrets (channelSecrets).
 */

export const CHANNEL_KINDS: readonly ChannelKind[] = ["mastodon", "bluesky", "webhook", "feed", "manual"];

/**
 * Per kind, when comms give none: Mastodon's documented default (each instance's own limit is read
 * at delivery), Bluesky's 300 graphemes, Instagram's 2,200 for the manual kit; previews at 16:9 on
 * the fediverse, 4:5 for Bluesky and Instagram, 1.91:1 for link cards (website, webhooks).
 */
export const CHANNEL_DEFAULTS: Record<ChannelKind, { characterLimit: number; imageAspect: ImageAspect }> = {
  mastodon: { characterLimit: 500, imageAspect: "16:9" },
  bluesky: { characterLimit: 300, imageAspect: "4:5" },
  webhook: { characterLimit: 5000, imageAspect: "1.91:1" },
  feed: { characterLimit: 10000, imageAspect: "1.91:1" },
  manual: { characterLimit: 2200, imageAspect: "4:5" },
};

/** Only comms and admins manage channels and the queue. */
export function assertPublisher(actor: Actor): void {
  if (actor.role !== "comms" && actor.role !== "admin") throw new Response("Forbidden", { status: 403 });
}

/** What a browser may see of a channel: everything but its secrets (whether it has some, yes). */
export interface ChannelView {
  id: number;
  kind: ChannelKind;
  name: string;
  slug: string;
  /** instanceUrl (Mastodon), service and identifier (Bluesky), url and headerName (webhook), description (feed). */
  settings: Record<string, string>;
  characterLimit: number;
  imageAspect: ImageAspect;
  slots: Slot[];
  enabled: boolean;
  disabledReason: string | null;
  hasSecret: boolean;
}

/** The secrets of a channel, opened: for delivery only, never for a page. */
export interface ChannelSecrets {
  accessToken?: string;
  appPassword?: string;
  webhookSecret?: string;
  headerValue?: string;
}

const VIEW_COLUMNS = ["id", "kind", "name", "slug", "settings", "character_limit", "image_aspect", "slots", "enabled", "disabled_reason"] as const;

interface ViewRow {
  id: number;
  kind: ChannelKind;
  name: string;
  slug: string;
  settings: Record<string, unknown>;
  character_limit: number;
  image_aspect: ImageAspect;
  slots: { weekday: number; time: string }[];
  enabled: boolean;
  disabled_reason: string | null;
  has_secret: boolean;
}

function toView(row: ViewRow): ChannelView {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    slug: row.slug,
    settings: row.settings as Record<string, string>,
    characterLimit: row.character_limit,
    imageAspect: row.image_aspect,
    slots: row.slots as Slot[],
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    hasSecret: row.has_secret,
  };
}

function selectViews(db: DB) {
  return db.selectFrom("channel").select([...VIEW_COLUMNS, sql<boolean>`secret_sealed IS NOT NULL`.as("has_secret")]);
}

/** Every channel, by name (comms and admins). */
export async function listChannels(db: DB, actor: Actor): Promise<ChannelView[]> {
  assertPublisher(actor);
  const rows = await selectViews(db).orderBy("name").orderBy("id").execute();
  return rows.map((r) => toView(r));
}

/** One channel (comms and admins); 404 when there is none. */
export async function getChannel(db: DB, actor: Actor, id: number): Promise<ChannelView> {
  assertPublisher(actor);
  const row = await selectViews(db).where("id", "=", id).executeTakeFirst();
  if (!row) throw new Response("Not Found", { status: 404 });
  return toView(row);
}

/** A channel by its slug, for its public feed: null when there is none, or when it is not a feed. */
export async function feedChannelBySlug(db: DB, slug: string) {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug) || slug.length > 60) return null;
  const row = await selectViews(db).where("slug", "=", slug).where("kind", "=", "feed").executeTakeFirst();
  return row ? toView(row) : null;
}

const httpUrl = z
  .string()
  .trim()
  .max(500, "publishing.errors.url")
  .refine((v) => /^https?:\/\/[^/\s]/.test(v) && URL.canParse(v) && !new URL(v).username && !new URL(v).password, "publishing.errors.url");

const slotSchema = z.object({
  weekday: z.number().int().min(1, "publishing.errors.slots").max(7, "publishing.errors.slots"),
  time: z.string().refine(isSlotTime, "publishing.errors.slots"),
});

const common = {
  name: z.string().trim().min(1, "publishing.errors.name").max(100, "publishing.errors.name"),
  slug: z
    .string()
    .trim()
    .toLowerCase()
    .max(60, "publishing.errors.slug")
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "publishing.errors.slug"),
  characterLimit: z.number().int().min(1, "publishing.errors.characterLimit").max(100000, "publishing.errors.characterLimit").optional(),
  imageAspect: z.enum(ASPECT_NAMES as [ImageAspect, ...ImageAspect[]], "publishing.errors.aspect").optional(),
  slots: z.array(slotSchema, "publishing.errors.slots").max(50, "publishing.errors.slots").optional(),
};

const secret = (key: string) => z.string().trim().min(1, key).max(2000, key);

/** What comms enter for a new channel; secrets only where the kind has some. */
export const channelInput = z.discriminatedUnion(
  "kind",
  [
    z.object({ kind: z.literal("mastodon"), ...common, instanceUrl: httpUrl, accessToken: secret("publishing.errors.accessToken") }),
    z.object({
      kind: z.literal("bluesky"),
      ...common,
      service: httpUrl.optional(),
      identifier: z.string().trim().min(1, "publishing.errors.identifier").max(300, "publishing.errors.identifier"),
      appPassword: secret("publishing.errors.appPassword"),
    }),
    z.object({
      kind: z.literal("webhook"),
      ...common,
      url: httpUrl,
      headerName: z.string().trim().max(100).optional(),
      headerValue: z.string().trim().max(1000).optional(),
    }),
    z.object({ kind: z.literal("feed"), ...common, description: z.string().trim().max(500, "publishing.errors.description").optional() }),
    z.object({ kind: z.literal("manual"), ...common }),
  ],
  "publishing.errors.kind",
);

export type ChannelInput = z.input<typeof channelInput>;

function parse(input: unknown): z.output<typeof channelInput> {
  const result = channelInput.safeParse(input);
  if (result.success) {
    const data = result.data;
    if (data.kind === "webhook" && (data.headerName || data.headerValue)) {
      const problem = data.headerName && data.headerValue ? webhookHeaderProblem(data.headerName, data.headerValue) : "header";
      if (problem) throw new FormRefusal({ headerName: "publishing.errors.header" });
    }
    return data;
  }
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= issue.message.startsWith("publishing.") ? issue.message : "publishing.errors.invalid";
  }
  throw new FormRefusal(errors);
}

function settingsOf(data: z.output<typeof channelInput>): Record<string, string> {
  switch (data.kind) {
    case "mastodon":
      return { instanceUrl: data.instanceUrl.replace(/\/+$/, "") };
    case "bluesky":
      return { service: (data.service ?? "https://bsky.social").replace(/\/+$/, ""), identifier: data.identifier };
    case "webhook":
      return { url: data.url, ...(data.headerName ? { headerName: data.headerName } : {}) };
    case "feed":
      return data.description ? { description: data.description } : {};
    case "manual":
      return {};
  }
}

function secretsOf(data: z.output<typeof channelInput>, generatedWebhookSecret?: string): ChannelSecrets | null {
  switch (data.kind) {
    case "mastodon":
      return { accessToken: data.accessToken };
    case "bluesky":
      return { appPassword: data.appPassword };
    case "webhook":
      return { webhookSecret: generatedWebhookSecret, ...(data.headerValue ? { headerValue: data.headerValue } : {}) };
    default:
      return null;
  }
}

// The row id is part of the sealing context: a sealed value copied onto another row does not open.
const secretContext = (id: number) => `channel:${id}`;

const slugTaken = () => new FormRefusal({ slug: "publishing.errors.slugTaken" }, 409);

/**
 * Creates a channel (comms and admins). Secrets are sealed at once and never returned, except a
 * webhook's signing secret, made here and returned this one time (`whsec_…`) for comms to copy
 * into the receiver. Bad input: a FormRefusal naming each field, nothing stored.
 */
export async function createChannel(db: DB, actor: Actor, input: ChannelInput): Promise<{ id: number; webhookSecret?: string }> {
  assertPublisher(actor);
  const data = parse(input);
  const webhookSecret = data.kind === "webhook" ? generateWebhookSecret() : undefined;
  const defaults = CHANNEL_DEFAULTS[data.kind];
  const secrets = secretsOf(data, webhookSecret);
  try {
    return await db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto("channel")
        .values({
          kind: data.kind,
          name: data.name,
          slug: data.slug,
          settings: JSON.stringify(settingsOf(data)),
          character_limit: data.characterLimit ?? defaults.characterLimit,
          image_aspect: data.imageAspect ?? defaults.imageAspect,
          slots: JSON.stringify(data.slots ?? DEFAULT_SLOTS),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      if (secrets) {
        await trx.updateTable("channel").set({ secret_sealed: encryptSecret(JSON.stringify(secrets), { context: secretContext(id) }) }).where("id", "=", id).execute();
      }
      await audit(trx, actor, "channel_created", { type: "channel", id }, { kind: data.kind, slug: data.slug });
      return webhookSecret ? { id, webhookSecret } : { id };
    });
  } catch (error) {
    if ((error as { constraint?: string }).constraint === "channel_slug_key") throw slugTaken();
    throw error;
  }
}

/**
 * Changes a channel's settings (same input as createChannel, same kind). A secret left empty
 * keeps the stored one; a webhook keeps its signing secret unless `newWebhookSecret` asks for a
 * new one, which is then returned once.
 */
export async function updateChannel(
  db: DB,
  actor: Actor,
  id: number,
  input: ChannelInput,
  options: { newWebhookSecret?: boolean } = {},
): Promise<{ webhookSecret?: string }> {
  assertPublisher(actor);
  const current = await db.selectFrom("channel").select(["kind", "secret_sealed"]).where("id", "=", id).executeTakeFirst();
  if (!current) throw new Response("Not Found", { status: 404 });
  const kept = current.secret_sealed ? openKept(current.secret_sealed, id) : {};
  // An empty secret field means "unchanged".
  const withKept = { ...(input as Record<string, unknown>) };
  if (!withKept.accessToken && kept.accessToken) withKept.accessToken = kept.accessToken;
  if (!withKept.appPassword && kept.appPassword) withKept.appPassword = kept.appPassword;
  if (!withKept.headerValue && kept.headerValue && withKept.headerName) withKept.headerValue = kept.headerValue;
  const data = parse(withKept);
  if (data.kind !== current.kind) throw new FormRefusal({ kind: "publishing.errors.kindChange" });
  const webhookSecret = data.kind === "webhook" && (options.newWebhookSecret || !kept.webhookSecret) ? generateWebhookSecret() : undefined;
  const secrets = secretsOf(data, webhookSecret ?? kept.webhookSecret);
  // Which secrets changed, by name only: the log never holds a value.
  const changedSecrets = (["accessToken", "appPassword", "webhookSecret", "headerValue"] as const).filter((k) => (secrets?.[k] ?? null) !== (kept[k] ?? null));
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("channel")
        .set({
          name: data.name,
          slug: data.slug,
          settings: JSON.stringify(settingsOf(data)),
          character_limit: data.characterLimit ?? CHANNEL_DEFAULTS[data.kind].characterLimit,
          image_aspect: data.imageAspect ?? CHANNEL_DEFAULTS[data.kind].imageAspect,
          slots: JSON.stringify(data.slots ?? DEFAULT_SLOTS),
          secret_sealed: secrets ? encryptSecret(JSON.stringify(secrets), { context: secretContext(id) }) : null,
          updated_at: sql`now()`,
        })
        .where("id", "=", id)
        .execute();
      await audit(trx, actor, "channel_changed", { type: "channel", id }, { slug: data.slug });
      if (changedSecrets.length > 0) await audit(trx, actor, "channel_secret_changed", { type: "channel", id }, { fields: changedSecrets.join(",") });
    });
  } catch (error) {
    if ((error as { constraint?: string }).constraint === "channel_slug_key") throw slugTaken();
    throw error;
  }
  return webhookSecret ? { webhookSecret } : {};
}

/** The stored secrets, or none when they no longer open (SECRETS_KEY changed): comms enter them again. */
function openKept(sealed: string, id: number): ChannelSecrets {
  try {
    return JSON.parse(decryptSecret(sealed, { context: secretContext(id) })) as ChannelSecrets;
  } catch (error) {
    if (error instanceof SecretError) return {};
    throw error;
  }
}

/** Turns a channel back on (comms and admins): its scheduled publications are delivered again from their time. */
export async function enableChannel(db: DB, actor: Actor, id: number): Promise<void> {
  assertPublisher(actor);
  await db.transaction().execute(async (trx) => {
    const row = await trx.updateTable("channel").set({ enabled: true, disabled_reason: null, updated_at: sql`now()` }).where("id", "=", id).returning("id").executeTakeFirst();
    if (!row) throw new Response("Not Found", { status: 404 });
    await audit(trx, actor, "channel_changed", { type: "channel", id }, { enabled: true });
  });
}

/** Turns a channel off by hand (comms and admins), with the reason shown on the queue. */
export async function disableChannelByActor(db: DB, actor: Actor, id: number, reason: string): Promise<void> {
  assertPublisher(actor);
  const text = reason.trim();
  if (!text || text.length > 1000) throw new UserError("publishing.errors.reason", "reason");
  await db.transaction().execute(async (trx) => {
    const row = await trx.updateTable("channel").set({ enabled: false, disabled_reason: text, updated_at: sql`now()` }).where("id", "=", id).returning("id").executeTakeFirst();
    if (!row) throw new Response("Not Found", { status: 404 });
    await audit(trx, actor, "channel_changed", { type: "channel", id }, { enabled: false });
  });
}

/**
 * Disables a channel because delivery found it unusable (a webhook answering 410) and tells the
 * communication team, in the caller's transaction.
 */
export async function disableChannel(trx: Transaction<Database>, channelId: number, reason: string): Promise<void> {
  const row = await trx
    .updateTable("channel")
    .set({ enabled: false, disabled_reason: reason, updated_at: sql`now()` })
    .where("id", "=", channelId)
    .where("enabled", "=", true)
    .returning(["name"])
    .executeTakeFirst();
  if (!row) return;
  // By the installation itself (a webhook answered 410): no actor.
  await audit(trx, null, "channel_changed", { type: "channel", id: channelId }, { enabled: false });
  await notifyComms(trx, { kind: "channel_disabled", actorId: null, title: row.name, link: `/publishing/channels/${channelId}`, data: { channel: row.name, reason } });
}

/** The channel with its secrets opened, for delivery. A SecretError when SECRETS_KEY changed. */
export async function channelForDelivery(db: DB, channelId: number): Promise<(ChannelView & { secrets: ChannelSecrets }) | null> {
  const row = await selectViews(db).select("secret_sealed").where("id", "=", channelId).executeTakeFirst();
  if (!row) return null;
  const secrets = row.secret_sealed ? (JSON.parse(decryptSecret(row.secret_sealed, { context: secretContext(channelId) })) as ChannelSecrets) : {};
  return { ...toView(row), secrets };
}
