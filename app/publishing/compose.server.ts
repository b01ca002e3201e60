import type { Actor } from "~/auth/actor";
import { canView } from "~/contributions/visibility.server";
import type { DB } from "~/db.server";
import { externalBlocks } from "~/photos/rights.server";
import { assertPublisher, listChannels } from "./channels.server";
import { ASPECTS } from "./crops";
import { audienceOf, prefillText, proposeSlot } from "./queue.server";

/**
 * What the "publier à l'extérieur" page starts from (comms and admins; 404 for a contribution they
 * may not see): the contribution, whether it may go outside, its photos with their focal points
 * and whether each may go outside, its embargo, and per enabled channel the prefilled text, the
 * next free slot (not before the embargo) and whether the contribution is already on it. The rules themselves stay in createPublication.
 */
export async function composeDraft(db: DB, actor: Actor, contributionId: number) {
  assertPublisher(actor);
  const c = await db
    .selectFrom("contribution as c")
    .innerJoin("app_user as a", "a.id", "c.author_id")
    .innerJoin("department as d", "d.id", "c.department_id")
    .select(["c.id", "c.title", "c.body_text", "c.status", "c.visibility", "c.external_eligible", "c.author_id", "c.department_id", "c.embargo_until", "a.display_name as author_name", "a.credit_opt_out", "d.name as department_name"])
    .where("c.id", "=", contributionId)
    .executeTakeFirst();
  if (!c || !canView(actor, c)) throw new Response("Not Found", { status: 404 });
  const publishable = c.status === "approved" && c.external_eligible;
  const embargo = c.embargo_until ? new Date(c.embargo_until) : null;
  const [photos, blocks, websiteBlocks, socialBlocks, live, channels] = await Promise.all([
    db.selectFrom("photo").select(["id", "width", "height", "placeholder", "alt_text", "focus_x", "focus_y"]).where("contribution_id", "=", c.id).orderBy("position").execute(),
    externalBlocks(db, c.id),
    // The consent register's scopes make a photo usable on some channels and not others.
    externalBlocks(db, c.id, "website"),
    externalBlocks(db, c.id, "social"),
    db.selectFrom("publication").select("channel_id").where("contribution_id", "=", c.id).where("state", "<>", "cancelled").execute(),
    listChannels(db, actor),
  ]);
  const taken = new Set(live.map((p) => p.channel_id));
  const drafts = publishable
    ? await Promise.all(
        channels
          .filter((ch) => ch.enabled)
          .map(async (ch) => ({
            id: ch.id,
            name: ch.name,
            kind: ch.kind,
            characterLimit: ch.characterLimit,
            aspect: ch.imageAspect,
            ratio: ASPECTS[ch.imageAspect],
            text: prefillText(c, ch.characterLimit),
            nextSlot: taken.has(ch.id) ? null : await proposeSlot(db, actor, ch.id, new Date(), embargo),
            already: taken.has(ch.id),
            blockedPhotoIds: (audienceOf(ch.kind) === "website" ? websiteBlocks : socialBlocks).map((b) => photos[b.photo - 1].id),
          })),
      )
    : [];
  return {
    contribution: { id: c.id, title: c.title, status: c.status, externalEligible: c.external_eligible, embargoUntil: embargo },
    publishable,
    photos: photos.map((p, i) => ({ ...p, usable: !blocks.some((b) => b.photo === i + 1) })),
    channels: drafts,
  };
}
