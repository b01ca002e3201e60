import { sql } from "kysely";
import { z } from "zod";
import type { Actor } from "~/auth/actor";
import { plannedForItsValues, type DB } from "~/db.server";
import { keptUntilChange } from "~/utils/kept.server";
import { cursorTime, decodeCursor, encodeCursor } from "~/contributions/feeds.server";
import { addEvent } from "~/contributions/history.server";
import { renderRichText } from "~/contributions/richtext.server";
import { canView } from "~/contributions/visibility.server";
import { photoFieldName } from "~/contributions/schema";
import { assertAltTexts } from "~/photos/photos.server";
import { externalBlocks } from "~/photos/rights.server";
import { UserError } from "~/utils/errors.server";
import { notify } from "~/notifications/notifications.server";
import { audit } from "~/privacy/audit.server";

function assertComms(actor: Actor) {
  if (actor.role !== "comms") throw new Response("Forbidden", { status: 403 });
}

/** How many submitted contributions the review inbox shows a page. */
export const REVIEW_PAGE_SIZE = 50;

/**
 * The inbox counts what waits up to this many, then says "more than": counting 40,000 waiting rows
 * cost 10 ms of PostgreSQL's time on every load of the inbox, for a figure nobody reads exactly.
 */
export const WAITING_COUNTED = 1000;

/**
 * Submitted contributions, oldest first (the longest waiting on top), with how long each waits: a
 * page of them after `cursor` (keyset on the submission time and id: a page costs the same wherever
 * it is), the cursor of the next page, and how many wait in all with these filters (up to
 * WAITING_COUNTED; `moreWaiting` when there are more).
 */
export async function reviewInbox(db: DB, filters: { department?: number; tag?: string }, cursor?: string | null, version?: string | null) {
  const page = await keptInboxPages(version, `${filters.department ?? ""} ${filters.tag ?? ""} ${cursor ?? ""}`, db, filters, cursor);
  // How long each has waited is counted at each request; the kept rows say since when. While those
  // hours stay the same, so does the list (the same object: its markup's digest is made once).
  const now = Date.now();
  const hours = page.items.map((item) => (item.submitted_at ? Math.floor((now - new Date(item.submitted_at).getTime()) / 3_600_000) : 0));
  let counted = withWaitingHours.get(page);
  if (counted?.hours !== hours.join()) {
    counted = { hours: hours.join(), items: page.items.map(({ submitted_at: _, ...item }, i) => ({ ...item, waiting_hours: hours[i] })) };
    withWaitingHours.set(page, counted);
  }
  return { ...page, items: counted.items };
}

type InboxPage = Awaited<ReturnType<typeof inboxPage>>;
/** Each kept page's rows with their waiting hours, as last counted (hashing them anew was 12 % of the inbox's time). */
const withWaitingHours = new WeakMap<InboxPage, { hours: string; items: (Omit<InboxPage["items"][number], "submitted_at"> & { waiting_hours: number })[] }>();

/** The inbox's pages, the same for every comms member: kept until a write of what they show commits (app/utils/kept.server.ts). */
const keptInboxPages = keptUntilChange(100, inboxPage);

async function inboxPage(db: DB, filters: { department?: number; tag?: string }, cursor?: string | null) {
  const filtered = () => {
    let q = db.selectFrom("contribution as c").where("c.status", "=", "submitted");
    if (filters.department) q = q.where("c.department_id", "=", filters.department);
    if (filters.tag) q = q.where(sql<boolean>`c.tags @> ARRAY[${filters.tag.toLowerCase()}]::text[]`);
    return q;
  };
  let q = filtered()
    .innerJoin("app_user as a", "a.id", "c.author_id")
    .innerJoin("department as d", "d.id", "c.department_id")
    .select([
      "c.id",
      "c.title",
      "c.tags",
      "c.submitted_at",
      "c.propose_external",
      "a.display_name as author_name",
      "d.name as department_name",
      cursorTime("c.submitted_at").as("cursor_at"),
    ])
    .select((eb) => [
      eb.selectFrom("photo as p").select(sql<number>`count(*)::int`.as("n")).whereRef("p.contribution_id", "=", "c.id").as("photo_count"),
    ]);
  // A cursor that is not the app's own (a hand-edited link) starts from the first page.
  const after = decodeCursor(cursor);
  if (after) q = q.where(sql<boolean>`(c.submitted_at, c.id) > (${after.at}::timestamptz, ${after.id})`);
  // A tag's frequency decides the plan (db/pool.ts, PLANNED_FOR_ITS_VALUES).
  const planned = filters.tag ? plannedForItsValues : sql``;
  const [rows, total] = await Promise.all([
    q.orderBy("c.submitted_at").orderBy("c.id").limit(REVIEW_PAGE_SIZE + 1).modifyEnd(planned).execute(),
    db
      .selectFrom(filtered().select("c.id").limit(WAITING_COUNTED + 1).as("w"))
      .select(sql<number>`count(*)::int`.as("n"))
      .modifyEnd(planned)
      .executeTakeFirstOrThrow(),
  ]);
  const items = rows.slice(0, REVIEW_PAGE_SIZE).map(({ cursor_at: _, ...row }) => row);
  const last = rows[REVIEW_PAGE_SIZE - 1];
  return { items, waiting: Math.min(total.n, WAITING_COUNTED), moreWaiting: total.n > WAITING_COUNTED, next: rows.length > REVIEW_PAGE_SIZE ? encodeCursor(last.cursor_at, last.id) : null };
}

export const decisionSchema = z.discriminatedUnion("decision", [
  z.object({
    decision: z.literal("approve"),
    version: z.coerce.number().int(),
    visibility: z.enum(["department", "organisation"], "review.errors.visibility"),
    externalEligible: z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean()),
  }),
  z.object({
    decision: z.literal("request_changes"),
    version: z.coerce.number().int(),
    message: z.string("review.errors.commentRequired").trim().min(1, "review.errors.commentRequired").max(5000, "review.errors.tooLong"),
  }),
  z.object({
    decision: z.literal("reject"),
    version: z.coerce.number().int(),
    message: z.string("review.errors.reasonRequired").trim().min(1, "review.errors.reasonRequired").max(5000, "review.errors.tooLong"),
  }),
]);
export type Decision = z.infer<typeof decisionSchema>;

/**
 * Approve, request changes or reject a contribution in review. `version` is the one the reviewer
 * saw: if anyone decided or edited since, nothing is applied and they are told so plainly.
 * Approval needs every photo's alt text; as eligible for external publication, it also passes the
 * image-rights gates.
 */
export async function decide(db: DB, actor: Actor, id: number, d: Decision): Promise<void> {
  assertComms(actor);
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("contribution")
      .select(["id", "status", "version", "author_id", "department_id", "visibility", "title"])
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    // Someone's draft answers like a missing id: a 409 would tell that it exists, and its version.
    if (!row || !canView(actor, row)) throw new Response("Not Found", { status: 404 });
    if (row.version !== d.version) throw new UserError("review.errors.conflict", "form", 409);
    if (row.status !== "submitted") throw new UserError("review.errors.notInReview", "form", 409);
    if (d.decision === "approve" && d.externalEligible) {
      const blocks = await externalBlocks(trx, id);
      if (blocks.length > 0) {
        throw new UserError("review.errors.gates", "externalEligible", 400, {
          details: blocks.map((b) => `photo ${b.photo}`).join(", "),
          blocks,
        });
      }
    }
    // Any approval needs every photo's alt text (DESIGN.md); comms can add it in the edit form.
    if (d.decision === "approve") await assertAltTexts(trx, id, "review.errors.altMissing", (photoId) => photoFieldName(photoId, "alt"));
    const status = d.decision === "approve" ? "approved" : d.decision === "reject" ? "rejected" : "changes_requested";
    await trx
      .updateTable("contribution")
      .set({
        status,
        visibility: d.decision === "approve" ? d.visibility : null,
        external_eligible: d.decision === "approve" ? d.externalEligible : false,
        approved_at: d.decision === "approve" ? sql`now()` : null,
        version: sql`version + 1`,
        updated_at: sql`now()`,
      })
      .where("id", "=", id)
      .execute();
    const message = d.decision === "approve" ? null : d.message;
    const data = d.decision === "approve" ? { visibility: d.visibility, externalEligible: d.externalEligible } : {};
    await addEvent(trx, { contributionId: id, actorId: actor.id, kind: status, message, data });
    await notify(trx, {
      userIds: [row.author_id],
      kind: status,
      contributionId: id,
      link: `/contributions/${id}`,
      actorId: actor.id,
      title: row.title,
      data: message ? { message } : {},
    });
    const action = status === "approved" ? "contribution_approved" : status === "rejected" ? "contribution_rejected" : "contribution_changes_requested";
    await audit(trx, actor, action, { type: "contribution", id, departmentId: row.department_id }, {
      ...(d.decision === "approve" ? { visibility: d.visibility, externalEligible: d.externalEligible } : {}),
    });
  });
}

export const commsEditSchema = z.object({
  version: z.coerce.number().int(),
  title: z.string("contributions.errors.titleRequired").trim().min(1, "contributions.errors.titleRequired").max(200, "contributions.errors.titleTooLong"),
  body: z.string("contributions.errors.bodyRequired").min(1, "contributions.errors.bodyRequired"),
});

/**
 * Comms edits the text and the photos' alt texts of a contribution in review. Every edit is kept
 * in the history with who, when and what changed (before and after), for the author to see.
 */
export async function editInReview(
  db: DB,
  actor: Actor,
  id: number,
  edit: z.infer<typeof commsEditSchema> & { alts: Record<number, string> },
): Promise<boolean> {
  assertComms(actor);
  const body = renderRichText(edit.body);
  if (!body.ok) throw new UserError("common.raw", "body", 400, { text: body.error });
  for (const alt of Object.values(edit.alts)) if (alt.length > 1000) throw new UserError("photos.errors.altTooLong", "form");
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("contribution")
      .select(["id", "status", "version", "title", "body_html", "body_text", "author_id", "department_id", "visibility"])
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!row || !canView(actor, row)) throw new Response("Not Found", { status: 404 });
    if (row.version !== edit.version) throw new UserError("review.errors.conflict", "form", 409);
    if (row.status !== "submitted") throw new UserError("review.errors.notInReview", "form", 409);
    const photos = await trx.selectFrom("photo").select(["id", "position", "alt_text"]).where("contribution_id", "=", id).orderBy("position").execute();
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    if (edit.title !== row.title) {
      before.title = row.title;
      after.title = edit.title;
    }
    if (body.html !== row.body_html) {
      before.body = row.body_text;
      after.body = body.text;
    }
    const altChanges = photos.filter((p) => p.id in edit.alts && edit.alts[p.id].trim() !== p.alt_text);
    if (altChanges.length) {
      before.alt = Object.fromEntries(altChanges.map((p) => [p.position + 1, p.alt_text]));
      after.alt = Object.fromEntries(altChanges.map((p) => [p.position + 1, edit.alts[p.id].trim()]));
    }
    const changed = Object.keys(after);
    if (changed.length === 0) return false;
    await trx
      .updateTable("contribution")
      .set({
        title: edit.title,
        body_json: JSON.stringify(body.json),
        body_html: body.html,
        body_text: body.text,
        version: sql`version + 1`,
        updated_at: sql`now()`,
      })
      .where("id", "=", id)
      .execute();
    for (const p of altChanges) {
      await trx.updateTable("photo").set({ alt_text: edit.alts[p.id].trim() }).where("id", "=", p.id).execute();
    }
    await addEvent(trx, { contributionId: id, actorId: actor.id, kind: "edited", data: { changed, before, after } });
    return true;
  });
}
