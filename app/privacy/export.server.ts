import { randomBytes } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { sql } from "kysely";
import yazl from "yazl";
import type { Actor } from "~/auth/actor";
import { inTransaction, type DB } from "~/db.server";
import { enqueue } from "~/jobs/queue.server";
import { storage, tmpDir } from "~/photos/storage.server";
import { audit } from "./audit.server";
import { EXPORT_README } from "./export-readme";

/** The shape of data.json; raised when a field changes meaning or goes (adding one does not). */
export const EXPORT_FORMAT_VERSION = 1;

/** How long a built export may be downloaded before the cleaning job deletes it. */
export const EXPORT_VALID_HOURS = 48;

/** How often, at most, a running export writes its progress (the page reads it). */
const PROGRESS_EVERY_MS = 500;

const notFound = () => new Response("Not Found", { status: 404 });

/**
 * Asks for a ZIP of everything Relais holds about `userId`: the person themself, or an admin for a
 * data-access request (anyone else gets a 404, as for an account they cannot see). One export in
 * progress per asker and person: asking again returns the one under way.
 */
export async function requestExport(db: DB, actor: Actor, userId: string, options: { ip?: string } = {}): Promise<number> {
  if (userId !== actor.id && actor.role !== "admin") throw notFound();
  return inTransaction(db, async (trx) => {
    const person = await trx.selectFrom("app_user").select(["id", "department_id", "closed_at"]).where("id", "=", userId).executeTakeFirst();
    if (!person || person.closed_at) throw notFound();
    // One at a time per person asked for: the lock makes two quick clicks queue one export, not two.
    await sql`SELECT pg_advisory_xact_lock(hashtext('data_export'), hashtext(${userId}))`.execute(trx);
    const running = await trx
      .selectFrom("data_export")
      .select("id")
      .where("user_id", "=", userId)
      .where("requested_by", "=", actor.id)
      .where("state", "in", ["pending", "running"])
      .executeTakeFirst();
    if (running) return running.id;
    const { id } = await trx.insertInto("data_export").values({ user_id: userId, requested_by: actor.id }).returning("id").executeTakeFirstOrThrow();
    await enqueue(trx, "build_export", { exportId: id }, { maxAttempts: 3 });
    await audit(trx, actor, "data_exported", { type: "user", id: userId, departmentId: person.department_id }, {
      export_id: id,
      request: userId === actor.id ? "own" : "data_access",
    }, { ip: options.ip });
    return id;
  });
}

export interface ExportRow {
  id: number;
  user_id: string;
  user_name: string;
  state: "pending" | "running" | "ready" | "failed";
  photos_total: number;
  photos_done: number;
  bytes: number | null;
  created_at: Date;
  expires_at: Date | null;
}

/** The exports `actor` asked for and may still download or follow, newest first. */
export async function listExports(db: DB, actor: Actor): Promise<ExportRow[]> {
  return db
    .selectFrom("data_export as e")
    .innerJoin("app_user as u", "u.id", "e.user_id")
    .select(["e.id", "e.user_id", "u.display_name as user_name", "e.state", "e.photos_total", "e.photos_done", "e.bytes", "e.created_at", "e.expires_at"])
    .where("e.requested_by", "=", actor.id)
    .where((eb) => eb.or([eb("e.expires_at", "is", null), eb("e.expires_at", ">", sql<Date>`now()`)]))
    .orderBy("e.id", "desc")
    .limit(20)
    .execute();
}

/** The file of a ready export, only for the one who asked for it (404 for anyone else, or once expired). */
export async function exportFile(db: DB, actor: Actor, exportId: number): Promise<{ key: string; bytes: number; createdAt: Date }> {
  const row = await db
    .selectFrom("data_export")
    .select(["file_key", "bytes", "created_at"])
    .where("id", "=", exportId)
    .where("requested_by", "=", actor.id)
    .where("state", "=", "ready")
    .where("expires_at", ">", sql<Date>`now()`)
    .executeTakeFirst();
  if (!row?.file_key) throw notFound();
  return { key: row.file_key, bytes: row.bytes ?? 0, createdAt: row.created_at };
}

/* ---------------------------------------------------------------- building the ZIP */

/** A table another feature's migration adds (reach, consent, statistics): read only when there. */
async function tableExists(db: DB, name: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`SELECT to_regclass(${`public.${name}`}) IS NOT NULL AS found`.execute(db);
  return rows[0]?.found ?? false;
}

interface ExportPhoto {
  id: number;
  key: string;
  file: string;
  createdAt: Date;
}

/**
 * Everything about one person that data.json holds, and the photo files to add beside it. Other
 * people appear by their role in an event, never by name: their data is theirs to ask for.
 */
export async function collectExportData(db: DB, userId: string): Promise<{ data: Record<string, unknown>; photos: ExportPhoto[] }> {
  const account = await db
    .selectFrom("app_user as u")
    .leftJoin("department as d", "d.id", "u.department_id")
    .select([
      "u.id", "u.email", "u.display_name", "u.role", "d.name as department", "u.locale", "u.active", "u.created_at",
      "u.email_kinds", "u.email_digest", "u.credit_opt_out",
    ])
    .where("u.id", "=", userId)
    .executeTakeFirstOrThrow();

  const contributions = await db
    .selectFrom("contribution as c")
    .innerJoin("department as d", "d.id", "c.department_id")
    .select([
      "c.id", "c.title", "c.status", "d.name as department", "c.visibility", "c.visibility_wish", "c.propose_external", "c.tags",
      "c.event_date", "c.place", "c.body_text", "c.body_html", "c.created_at", "c.submitted_at", "c.approved_at", "c.updated_at",
    ])
    .where("c.author_id", "=", userId)
    .orderBy("c.id")
    .execute();
  const ids = contributions.map((c) => c.id);
  const none = [-1];

  const events = await db
    .selectFrom("contribution_event")
    .select(["id", "contribution_id", "kind", "message", "data", "created_at", sql<boolean>`actor_id IS NOT DISTINCT FROM ${userId}`.as("by_you")])
    .where("contribution_id", "in", ids.length ? ids : none)
    .orderBy("id")
    .execute();
  const photoRows = await db
    .selectFrom("photo")
    .select(["id", "contribution_id", "position", "master_key", "width", "height", "bytes", "alt_text", "credit", "rights_status", "rights_scope", "rights_expires_on", "created_at"])
    .where("contribution_id", "in", ids.length ? ids : none)
    .orderBy("contribution_id")
    .orderBy("position")
    .execute();
  const photos: ExportPhoto[] = photoRows.map((p) => ({ id: p.id, key: p.master_key, file: `photos/${p.contribution_id}-${p.id}.webp`, createdAt: p.created_at }));
  const fileOf = new Map(photos.map((p) => [p.id, p.file]));

  const comments = await db
    .selectFrom("comment")
    .select(["id", "contribution_id", "body", "created_at", "edited_at"])
    .where("author_id", "=", userId)
    .orderBy("id")
    .execute();
  const thanksGiven = await db.selectFrom("thanks").select(["contribution_id", "created_at"]).where("user_id", "=", userId).orderBy("created_at").execute();
  const thanksReceived = await db
    .selectFrom("thanks")
    .select(["contribution_id", "created_at"])
    .where("contribution_id", "in", ids.length ? ids : none)
    .orderBy("created_at")
    .execute();
  const decisionsByYou = await db
    .selectFrom("contribution_event")
    .select(["contribution_id", "kind", "message", "created_at"])
    .where("actor_id", "=", userId)
    .where("kind", "in", ["approved", "changes_requested", "rejected"])
    .orderBy("id")
    .execute();
  const notifications = await db
    .selectFrom("notification")
    .select(["id", "kind", "link", "data", "read_at", "emailed_at", "created_at"])
    .where("user_id", "=", userId)
    .orderBy("id")
    .execute();
  const publications = await db
    .selectFrom("publication as p")
    .innerJoin("channel as ch", "ch.id", "p.channel_id")
    .select(["p.id", "p.contribution_id", "ch.name as channel", "ch.kind as channel_kind", "p.state", "p.text", "p.scheduled_at", "p.published_at", "p.remote_url"])
    .where("p.contribution_id", "in", ids.length ? ids : none)
    .orderBy("p.id")
    .execute();
  const reach = new Map<number, Record<string, unknown>>();
  if (publications.length && (await tableExists(db, "publication_reach"))) {
    const { rows } = await sql<{ publication_id: number }>`SELECT * FROM publication_reach WHERE publication_id = ANY(${publications.map((p) => p.id)})`.execute(db);
    for (const row of rows) {
      const { publication_id, ...figures } = row as Record<string, unknown> & { publication_id: number };
      reach.set(publication_id, figures);
    }
  }

  let consentRecords: unknown[] = [];
  if (await tableExists(db, "consent")) {
    // What they did, not whom the authorisation is about: that person's name is theirs.
    const { rows } = await sql`
      SELECT id AS consent_id, created_at AS recorded_at, withdrawn_at,
             created_by = ${userId} AS recorded_by_you, withdrawn_by IS NOT DISTINCT FROM ${userId} AS withdrawn_by_you
      FROM consent WHERE created_by = ${userId} OR withdrawn_by = ${userId} ORDER BY id`.execute(db);
    consentRecords = rows;
    if (await tableExists(db, "photo_consent")) {
      const links = await sql`SELECT photo_id, consent_id, linked_at FROM photo_consent WHERE linked_by = ${userId} ORDER BY linked_at`.execute(db);
      consentRecords = [...consentRecords, ...links.rows.map((l) => ({ linked_by_you: true, ...(l as object) }))];
    }
  }

  const audits = await db
    .selectFrom("audit_entry")
    .select(["id", "at", "action", "subject_type", "subject_id", "details", "ip", sql<boolean>`actor_id IS NOT DISTINCT FROM ${userId}`.as("by_you")])
    .where((eb) => eb.or([eb("actor_id", "=", userId), eb.and([eb("subject_type", "=", "user"), eb("subject_id", "=", userId)])]))
    .orderBy("id")
    .execute();

  const statistics: Record<string, unknown[]> = {};
  for (const table of ["statistics_contributor_day", "statistics_channel_day", "statistics_decision"]) {
    if (await tableExists(db, table)) {
      const { rows } = await sql`SELECT * FROM ${sql.table(table)} WHERE user_id = ${userId}`.execute(db);
      statistics[table] = rows;
    }
  }

  const data = {
    format: "relais-export",
    version: EXPORT_FORMAT_VERSION,
    generated_at: new Date().toISOString(),
    account,
    contributions: contributions.map((c) => ({
      ...c,
      revisions: events.filter((e) => e.contribution_id === c.id).map(({ contribution_id: _, ...e }) => e),
      photos: photoRows
        .filter((p) => p.contribution_id === c.id)
        .map(({ master_key: _, contribution_id: __, ...p }) => ({ ...p, file: fileOf.get(p.id) })),
    })),
    comments,
    thanks: { given: thanksGiven, received: thanksReceived },
    review_decisions: {
      by_you: decisionsByYou,
      about_your_contributions: events.filter((e) => ["approved", "changes_requested", "rejected"].includes(e.kind)).map((e) => ({
        contribution_id: e.contribution_id, kind: e.kind, message: e.message, created_at: e.created_at,
      })),
    },
    notifications,
    publications: publications.map((p) => ({ ...p, reach: reach.get(p.id) ?? null })),
    consent_records: consentRecords,
    sign_ins: audits.filter((a) => a.action === "sign_in" || a.action === "sign_in_failed"),
    // Someone else's act about them (an admin's role change…) keeps that person's address out.
    audit_entries: audits.filter((a) => a.action !== "sign_in" && a.action !== "sign_in_failed").map((a) => (a.by_you ? a : { ...a, ip: null })),
    statistics,
  };
  return { data, photos };
}

/** A fresh storage key for an export's ZIP. */
function newExportKey(): string {
  const hex = randomBytes(32).toString("hex");
  return `exports/${hex.slice(0, 2)}/${hex}.zip`;
}

/**
 * Builds export `exportId` (the build_export job): data.json, README.txt and the photo masters,
 * streamed one file at a time into a temp file (the photos, already compressed, are stored as
 * they are), then moved into the storage. Its progress ("n / total photos") is written as it goes.
 */
export async function buildExport(db: DB, exportId: number): Promise<void> {
  const row = await db.selectFrom("data_export").select(["user_id", "state"]).where("id", "=", exportId).executeTakeFirst();
  // Deleted meanwhile (the account was closed), or built by an earlier attempt.
  if (!row || row.state === "ready") return;
  const { data, photos } = await collectExportData(db, row.user_id);
  await db.updateTable("data_export").set({ state: "running", photos_total: photos.length, photos_done: 0 }).where("id", "=", exportId).execute();

  let done = 0;
  let written = 0;
  let lastWrite = Date.now();
  let pending: Promise<unknown> = Promise.resolve();
  const progress = () => {
    done++;
    if (Date.now() - lastWrite < PROGRESS_EVERY_MS) return;
    lastWrite = Date.now();
    const value = done;
    // Writes in order, never two at once; the last one below waits for them.
    pending = pending.then(() => db.updateTable("data_export").set({ photos_done: value }).where("id", "=", exportId).execute());
  };

  const zip = new yazl.ZipFile();
  const now = new Date();
  zip.addBuffer(Buffer.from(EXPORT_README, "utf8"), "README.txt", { mtime: now });
  zip.addBuffer(Buffer.from(JSON.stringify(data, null, 2), "utf8"), "data.json", { mtime: now });
  const store = storage();
  for (const photo of photos) {
    // Opened only when its turn comes: a thousand photos never hold a thousand open streams.
    zip.addReadStreamLazy(photo.file, { mtime: photo.createdAt, compress: false }, (callback) => {
      const stream = store.createReadStream(photo.key);
      stream.on("end", progress);
      callback(null, stream);
    });
  }
  zip.end();

  const temp = path.join(tmpDir(), `export-${randomBytes(12).toString("hex")}.zip`);
  try {
    await pipeline(zip.outputStream, fs.createWriteStream(temp, { flags: "wx" }));
    written = (await fsp.stat(temp)).size;
    const key = newExportKey();
    await store.putFile(key, temp);
    await pending;
    const ready = await db
      .updateTable("data_export")
      .set({
        state: "ready",
        photos_done: done,
        file_key: key,
        bytes: written,
        finished_at: sql<Date>`now()`,
        expires_at: sql<Date>`now() + make_interval(hours => ${EXPORT_VALID_HOURS})`,
      })
      .where("id", "=", exportId)
      .where("state", "=", "running")
      .executeTakeFirst();
    // The account was closed while the file was being made: it must not outlive the row.
    if (Number(ready.numUpdatedRows) === 0) await store.delete(key);
  } finally {
    await fsp.rm(temp, { force: true });
  }
}

/** After the last attempt failed: the page says so instead of "in progress" forever. */
export async function markExportFailed(db: DB, exportId: number): Promise<void> {
  await db.updateTable("data_export").set({ state: "failed", finished_at: sql<Date>`now()` }).where("id", "=", exportId).where("state", "in", ["pending", "running"]).execute();
}

/** Deletes expired exports, file then row (the delete_expired_exports job); returns how many went. */
export async function deleteExpiredExports(db: DB, now: Date = new Date()): Promise<number> {
  const expired = await db
    .selectFrom("data_export")
    .select(["id", "file_key"])
    .where((eb) => eb.or([eb("expires_at", "<=", now), eb.and([eb("state", "=", "failed"), eb("finished_at", "<=", new Date(now.getTime() - EXPORT_VALID_HOURS * 3_600_000))])]))
    .execute();
  for (const row of expired) {
    if (row.file_key) await storage().delete(row.file_key);
    await db.deleteFrom("data_export").where("id", "=", row.id).execute();
  }
  return expired.length;
}

/** Deletes every export about or asked by `userId`, files included (closing an account). */
export async function deleteExportsOf(db: DB, userId: string): Promise<string[]> {
  const rows = await db
    .deleteFrom("data_export")
    .where((eb) => eb.or([eb("user_id", "=", userId), eb("requested_by", "=", userId)]))
    .returning("file_key")
    .execute();
  return rows.flatMap((r) => (r.file_key ? [r.file_key] : []));
}
