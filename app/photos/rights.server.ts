import { sql, type Transaction } from "kysely";
import type { Actor } from "~/auth/actor";
import { addEvent } from "~/contributions/history.server";
import { canView } from "~/contributions/visibility.server";
import type { Database, DB } from "~/db.server";
import { enqueue } from "~/jobs/queue.server";
import { notifyComms } from "~/notifications/notifications.server";
import { dayOf } from "~/organisation/calendar.server";
import { UserError } from "~/utils/errors.server";
import { externalBlock, type Audience, type ConsentInfo, type ExternalBlock } from "./rights";
import { audit } from "~/privacy/audit.server";

/*
 * Image rights of the people a photo shows: what stands between a photo and any use outside the
 * organisation (review's approval gate today, the publishing queue next), withdrawals and expiry.
 * The rule itself (externalBlock) is pure, in ./rights.ts, for the forms to show it too.
 */

/** Today in the organisation's calendar, for expiry dates (YYYY-MM-DD, from the database clock). */
async function today(db: DB): Promise<string> {
  const { d } = await sql<{ d: string }>`SELECT ${dayOf()}::text AS d`.execute(db).then((r) => r.rows[0]);
  return d;
}

/**
 * What stands between these photos and external use (for `audience`, or any use outside when not
 * known yet): one entry per blocked photo (1-based).
 */
export async function externalBlocks(db: DB, contributionId: number, audience?: Audience): Promise<{ photo: number; reason: ExternalBlock }[]> {
  const [photos, consents, day] = await Promise.all([
    db
      .selectFrom("photo")
      .select(["id", "position", "alt_text", "rights_status", "rights_scope", "rights_expires_on", "rights_withdrawn_at"])
      .where("contribution_id", "=", contributionId)
      .orderBy("position")
      .execute(),
    linkedConsents(db, contributionId),
    today(db),
  ]);
  return photos.flatMap((p, i) => {
    const reason = externalBlock(p, day, consents.get(p.id) ?? [], audience);
    return reason ? [{ photo: i + 1, reason }] : [];
  });
}

/** The authorisations of the consent register linked to each photo of the contribution. */
async function linkedConsents(db: DB, contributionId: number): Promise<Map<number, ConsentInfo[]>> {
  const rows = await db
    .selectFrom("photo_consent as pc")
    .innerJoin("photo as p", "p.id", "pc.photo_id")
    .innerJoin("consent as c", "c.id", "pc.consent_id")
    .select(["pc.photo_id", "c.allows_website", "c.allows_social", "c.expires_on", "c.withdrawn_at"])
    .where("p.contribution_id", "=", contributionId)
    .execute();
  const byPhoto = new Map<number, ConsentInfo[]>();
  for (const { photo_id, ...consent } of rows) byPhoto.set(photo_id, [...(byPhoto.get(photo_id) ?? []), consent]);
  return byPhoto;
}

/**
 * Records that a person withdrew their image authorisation (comms or admin): the photo stops being
 * usable outside at once; an approved contribution loses its external eligibility, the history
 * says so and the comms team is alerted (the publishing queue will act on the same flag).
 */
export async function withdrawRights(
  db: DB,
  actor: Actor,
  contributionId: number,
  photoId: number,
): Promise<void> {
  if (actor.role !== "comms" && actor.role !== "admin") throw new Response("Forbidden", { status: 403 });
  await db.transaction().execute(async (trx) => {
    const photo = await trx
      .selectFrom("photo as p")
      .innerJoin("contribution as c", "c.id", "p.contribution_id")
      .select(["p.id", "p.contribution_id", "p.position", "p.rights_status", "p.rights_withdrawn_at", "c.author_id", "c.department_id", "c.status", "c.visibility"])
      .where("p.id", "=", photoId)
      .where("p.contribution_id", "=", contributionId)
      .forUpdate()
      .executeTakeFirst();
    // Only a photo of this contribution, and of a contribution the actor may see.
    if (!photo || !canView(actor, photo)) throw new Response("Not Found", { status: 404 });
    if (photo.rights_status !== "authorised" || photo.rights_withdrawn_at) throw new UserError("review.errors.nothingToWithdraw", "form", 409);
    await trx.updateTable("photo").set({ rights_withdrawn_at: sql`now()` }).where("id", "=", photoId).execute();
    await flagExternalUse(trx, photo.contribution_id, actor.id, { photo: photo.position + 1, reason: "withdrawn" });
    await holdPublications(trx, photoId);
    await audit(trx, actor, "photo_rights_withdrawn", { type: "photo", id: photoId, departmentId: photo.department_id }, { contribution: contributionId });
  });
}

/**
 * The publishing queue holds the publications that use this photo. Through a job queued in this
 * transaction (publishing declares it; photos may not import publishing): it exists if and only
 * if the withdrawal committed. Delivery reads the rights again itself before any send, so
 * nothing is sent in the moment before the job runs.
 */
async function holdPublications(trx: Transaction<Database>, photoId: number) {
  await enqueue(trx, "hold_publications_for_photo", { photoId });
}

/** Takes a contribution out of external use because of one photo, with an event and a comms alert. */
async function flagExternalUse(trx: Transaction<Database>, contributionId: number, actorId: string | null, why: { photo: number; reason: ExternalBlock }) {
  const c = await trx
    .updateTable("contribution")
    .set({ external_eligible: false, version: sql`version + 1` })
    .where("id", "=", contributionId)
    .returning(["title"])
    .executeTakeFirstOrThrow();
  await addEvent(trx, { contributionId, actorId, kind: "rights_withdrawn", data: why });
  await notifyComms(trx, { kind: "rights_alert", contributionId, link: `/contributions/${contributionId}`, actorId, title: c.title, data: why });
}

/**
 * Daily: authorisations that expired yesterday take their contributions out of external use, as a
 * withdrawal does. (Every gate also checks expiry dates itself, so nothing waits for this job.)
 * An authorisation counts to the end of its expiry day in the organisation's time zone; `at` is
 * the moment to judge from (now, except in tests).
 */
export async function flagExpiredRights(db: DB, at?: Date): Promise<number> {
  const expired = await db
    .selectFrom("photo as p")
    .innerJoin("contribution as c", "c.id", "p.contribution_id")
    .select(["p.id", "p.contribution_id", "p.position"])
    .where("c.external_eligible", "=", true)
    .where("p.rights_status", "=", "authorised")
    .where("p.rights_expires_on", "<", dayOf(at))
    .execute();
  const seen = new Set<number>();
  for (const e of expired) {
    const first = !seen.has(e.contribution_id);
    seen.add(e.contribution_id);
    await db.transaction().execute(async (trx) => {
      if (first) await flagExternalUse(trx, e.contribution_id, null, { photo: e.position + 1, reason: "expired" });
      await holdPublications(trx, e.id);
    });
  }
  return seen.size;
}
