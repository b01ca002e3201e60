import { sql } from "kysely";
import { z } from "zod";
import type { Actor } from "~/auth/actor";
import type { DB } from "~/db.server";
import { notify } from "~/notifications/notifications.server";
import { UserError } from "~/utils/errors.server";
import { canView } from "./visibility.server";

export const commentBody = z
  .string("comments.errors.empty")
  .trim()
  .min(1, "comments.errors.empty")
  .max(5000, "comments.errors.tooLong");

async function visibleContribution(db: DB, actor: Actor, contributionId: number) {
  const row = await db
    .selectFrom("contribution")
    .select(["id", "author_id", "department_id", "status", "visibility", "title"])
    .where("id", "=", contributionId)
    .executeTakeFirst();
  if (!row || !canView(actor, row)) throw new Response("Not Found", { status: 404 });
  return row;
}

/** Plain-text comment by anyone who sees the contribution; its author is notified. */
export async function addComment(db: DB, actor: Actor, contributionId: number, body: string): Promise<number> {
  const c = await visibleContribution(db, actor, contributionId);
  // A draft is seen by its author only: there is nobody to talk with yet.
  if (c.status === "draft") throw new UserError("comments.errors.draft", "body", 409);
  return db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto("comment")
      .values({ contribution_id: contributionId, author_id: actor.id, body })
      .returning("id")
      .executeTakeFirstOrThrow();
    await notify(trx, { userIds: [c.author_id], kind: "commented", contributionId, link: `/contributions/${contributionId}`, actorId: actor.id, title: c.title });
    return id;
  });
}

async function ownComment(db: DB, actor: Actor, commentId: number) {
  const comment = await db.selectFrom("comment").select(["id", "author_id", "contribution_id"]).where("id", "=", commentId).executeTakeFirst();
  if (!comment) throw new Response("Not Found", { status: 404 });
  await visibleContribution(db, actor, comment.contribution_id);
  if (comment.author_id !== actor.id) throw new Response("Forbidden", { status: 403 });
  return comment;
}

export async function editComment(db: DB, actor: Actor, commentId: number, body: string): Promise<void> {
  await ownComment(db, actor, commentId);
  await db.updateTable("comment").set({ body, edited_at: sql`now()` }).where("id", "=", commentId).execute();
}

export async function deleteComment(db: DB, actor: Actor, commentId: number): Promise<void> {
  await ownComment(db, actor, commentId);
  await db.deleteFrom("comment").where("id", "=", commentId).execute();
}

export async function listComments(db: DB, contributionId: number) {
  return db
    .selectFrom("comment as m")
    .innerJoin("app_user as u", "u.id", "m.author_id")
    .select(["m.id", "m.body", "m.created_at", "m.edited_at", "m.author_id", "u.display_name as author_name"])
    .where("m.contribution_id", "=", contributionId)
    .orderBy("m.created_at")
    .orderBy("m.id")
    .execute();
}

/** A "merci", once per person and contribution, on an approved item someone else wrote. */
export async function thank(db: DB, actor: Actor, contributionId: number): Promise<void> {
  const c = await visibleContribution(db, actor, contributionId);
  if (c.author_id === actor.id) throw new UserError("thanks.errors.own", "form", 400);
  if (c.status !== "approved") throw new UserError("thanks.errors.notApproved", "form", 409);
  await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("thanks")
      .values({ contribution_id: contributionId, user_id: actor.id })
      .onConflict((oc) => oc.doNothing())
      .returning("user_id")
      .executeTakeFirst();
    if (!inserted) throw new UserError("thanks.errors.already", "form", 409);
    await notify(trx, { userIds: [c.author_id], kind: "thanked", contributionId, link: `/contributions/${contributionId}`, actorId: actor.id, title: c.title });
  });
}

/**
 * Names shown per contribution in its author's "mes contributions" (the first ones first; the rest
 * are counted: "et 12 autres personnes"). The card's `became_of` takes them (LIMIT 8 in migration 27:
 * another number needs a new migration; tests/integration/publishing/reach.test.ts checks they agree).
 */
export const THANKERS_SHOWN = 8;
