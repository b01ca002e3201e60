import { sql } from "kysely";
import { personal } from "../../db/personal-data";
import { assertAdmin, type Actor } from "~/auth/actor";
import { invitationMailKey } from "~/auth/invitations.server";
import type { DB } from "~/db.server";
import { removeJob } from "~/jobs/queue.server";
import { deletePhotoRows, removeFiles } from "~/photos/photos.server";
import { storage } from "~/photos/storage.server";
import { creditLine } from "~/publishing/queue.server";
import { UserError } from "~/utils/errors.server";
import { audit } from "./audit.server";
import { deleteExportsOf } from "./export.server";

/** What a closed account is called wherever its work stays. */
export const FORMER_AGENT = "Ancien agent";

/** Contributions the organisation keeps when their author's account is closed: its archives. */
export const KEPT_STATUSES = ["approved", "archived"] as const;

/** A unique address that can receive no mail (.invalid is reserved for that, RFC 2606). */
export function closedEmail(userId: string): string {
  return `ferme-${userId.toLowerCase()}@compte-ferme.invalid`;
}

/** What closing the account would delete and keep, for the confirmation step. */
export async function closurePreview(db: DB, actor: Actor, userId: string) {
  assertAdmin(actor);
  const user = await db.selectFrom("app_user").select(["id", "display_name", "email", "closed_at"]).where("id", "=", userId).executeTakeFirst();
  if (!user || user.closed_at) throw new Response("Not Found", { status: 404 });
  const counts = await db
    .selectFrom("contribution as c")
    .leftJoin("photo as p", "p.contribution_id", "c.id")
    .select([
      sql<number>`count(DISTINCT c.id) FILTER (WHERE c.status NOT IN ('approved', 'archived'))::int`.as("contributionsDeleted"),
      sql<number>`count(p.id) FILTER (WHERE c.status NOT IN ('approved', 'archived'))::int`.as("photosDeleted"),
      sql<number>`count(DISTINCT c.id) FILTER (WHERE c.status IN ('approved', 'archived'))::int`.as("contributionsKept"),
    ])
    .where("c.author_id", "=", userId)
    .executeTakeFirstOrThrow();
  const comments = await db.selectFrom("comment").select(sql<number>`count(*)::int`.as("n")).where("author_id", "=", userId).executeTakeFirstOrThrow();
  return { id: user.id, name: user.display_name, email: user.email, ...counts, commentsDeleted: comments.n };
}

/** Escapes `text` for a PostgreSQL regular expression. */
function regexLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A pattern matching any of `needles` as a whole word, whatever the case. A name shorter than
 * three characters is left out: it would match inside ordinary words.
 */
function wordsPattern(needles: string[]): string | null {
  const kept = needles.map((n) => n.trim()).filter((n) => n.length >= 3);
  if (kept.length === 0) return null;
  return `(?<![[:alnum:]_])(${kept.map(regexLiteral).join("|")})(?![[:alnum:]_])`;
}

/**
 * Replaces the name and e-mail of a closed account wherever a column of the register marked
 * `scrub` holds them (free text others wrote, copies in jsonb payloads and snapshots). Driven by
 * db/personal-data.ts, so that a column added there is scrubbed too.
 */
async function scrubMentions(trx: DB, name: string, email: string): Promise<void> {
  const textPattern = wordsPattern([name, email]);
  // Inside jsonb, a string is written escaped: look for the escaped form.
  const jsonPattern = wordsPattern([name, email].map((n) => JSON.stringify(n).slice(1, -1)));
  if (!textPattern || !jsonPattern) return;
  const { rows: types } = await sql<{ table_name: string; column_name: string; data_type: string }>`
    SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'`.execute(trx);
  const typeOf = new Map(types.map((t) => [`${t.table_name}.${t.column_name}`, t.data_type]));
  for (const [table, columns] of Object.entries(personal)) {
    for (const [column, info] of Object.entries(columns)) {
      if (info.erasure !== "scrub") continue;
      const t = sql.table(table);
      const c = sql.ref(column);
      switch (typeOf.get(`${table}.${column}`)) {
        case "text":
        case "character varying":
          await sql`UPDATE ${t} SET ${c} = regexp_replace(${c}, ${textPattern}, ${FORMER_AGENT}, 'gi') WHERE ${c} ~* ${textPattern}`.execute(trx);
          break;
        case "jsonb":
          await sql`UPDATE ${t} SET ${c} = regexp_replace(${c}::text, ${jsonPattern}, ${FORMER_AGENT}, 'gi')::jsonb WHERE ${c}::text ~* ${jsonPattern}`.execute(trx);
          break;
        case "tsvector":
          // Derived from columns scrubbed above (a trigger rebuilds it when they change).
          break;
        default:
          throw new Error(`erasure: no way to scrub ${table}.${column} (${typeOf.get(`${table}.${column}`) ?? "absent"})`);
      }
    }
  }
}

/**
 * Closes an account (GDPR art. 17), for an admin. Deleted: the person's drafts and every
 * contribution not approved or archived, with their photos (rows and files, every rendition), their
 * comments, the notifications they received, their sessions, invitations, calendar address and data
 * exports (and every other row the register marks as theirs). Kept: approved and archived
 * contributions, the organisation's archives, under an anonymised account shown as "Ancien agent"
 * (e-mail replaced by an address that receives nothing, no password, inactive, credit refused);
 * their name and e-mail are replaced wherever copies stay (notification payloads, history
 * snapshots, review comments, publications' credit lines). Publications not yet out are kept,
 * credited to the department only. The audit log keeps its entries: it is append-only and
 * records account ids, never names.
 */
export async function closeAccount(db: DB, actor: Actor, userId: string, options: { ip?: string } = {}): Promise<{ contributionsDeleted: number; photosDeleted: number }> {
  assertAdmin(actor);
  if (userId === actor.id) throw new UserError("closure.notSelf");
  const { photoKeys, exportKeys, result } = await db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom("app_user")
      .select(["id", "display_name", "email", "department_id", "closed_at"])
      .where("id", "=", userId)
      // Keeps two closures apart, and leaves others' foreign-key checks alone: a thanks for one of
      // the person's items, which notifies them, would wait here while holding that item's card
      // (migration 27), which this closure remakes when it renames them.
      .forNoKeyUpdate()
      .executeTakeFirst();
    if (!user || user.closed_at) throw new Response("Not Found", { status: 404 });

    const doomed = await trx
      .selectFrom("contribution")
      .select("id")
      .where("author_id", "=", userId)
      .where("status", "not in", KEPT_STATUSES)
      .forUpdate()
      .execute();
    const photoKeys: string[] = [];
    let photosDeleted = 0;
    if (doomed.length) {
      const ids = doomed.map((d) => d.id);
      const { n } = await trx.selectFrom("photo").select(sql<number>`count(*)::int`.as("n")).where("contribution_id", "in", ids).executeTakeFirstOrThrow();
      photosDeleted = n;
      for (const id of ids) photoKeys.push(...(await deletePhotoRows(trx, { contributionId: id })));
      // Comments, history, thanks and notifications about them go with them (ON DELETE CASCADE).
      await trx.deleteFrom("contribution").where("id", "in", doomed.map((d) => d.id)).execute();
    }
    const exportKeys = await deleteExportsOf(trx, userId);
    // An invitation mail still waiting would go out with the address: taken back with the rest.
    await removeJob(trx, invitationMailKey(userId));

    // Every other row that is the person's, as the register says.
    for (const [table, columns] of Object.entries(personal)) {
      for (const [column, info] of Object.entries(columns)) {
        if (info.owner && info.erasure === "delete_row") {
          await sql`DELETE FROM ${sql.table(table)} WHERE ${sql.ref(column)} = ${userId}`.execute(trx);
        }
      }
    }
    await trx.deleteFrom("login_failure").where("key", "=", `email:${user.email}`).execute();

    // Queued posts of kept work: credited to the department alone, like a credit refusal.
    const unpublished = await trx
      .selectFrom("publication as p")
      .innerJoin("contribution as c", "c.id", "p.contribution_id")
      .innerJoin("department as d", "d.id", "c.department_id")
      .select(["p.id", "p.text", "d.name as department_name"])
      .where("c.author_id", "=", userId)
      .where("p.state", "!=", "published")
      .execute();
    for (const p of unpublished) {
      const named = creditLine({ author_name: user.display_name, department_name: p.department_name, credit_opt_out: false });
      const anonymous = creditLine({ author_name: FORMER_AGENT, department_name: p.department_name, credit_opt_out: true });
      if (!p.text.includes(named)) continue;
      await trx
        .updateTable("publication")
        .set({ text: p.text.split(named).join(anonymous), version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
        .where("id", "=", p.id)
        .execute();
    }

    await scrubMentions(trx, user.display_name, user.email);

    const blanks = Object.entries(personal.app_user).filter(([, info]) => info.erasure === "blank").map(([column]) => column);
    await sql`UPDATE app_user SET
        display_name = ${FORMER_AGENT}, email = ${closedEmail(userId)}, active = false, closed_at = now(),
        credit_opt_out = true, email_kinds = '{}', email_digest = false
        ${sql.join(blanks.map((column) => sql`, ${sql.ref(column)} = NULL`), sql``)}
      WHERE id = ${userId}`.execute(trx);

    const result = { contributionsDeleted: doomed.length, photosDeleted };
    await audit(trx, actor, "account_closed", { type: "user", id: userId, departmentId: user.department_id }, {
      contributions_deleted: result.contributionsDeleted,
      photos_deleted: result.photosDeleted,
    }, { ip: options.ip });
    return { photoKeys, exportKeys, result };
  });
  // After the commit, as deleteContribution does: a rolled-back closure still finds its files.
  await removeFiles(db, photoKeys);
  for (const key of exportKeys) await storage().delete(key);
  return result;
}
