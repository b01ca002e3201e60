import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { runOnce } from "graphile-worker";
import type { ChannelInput } from "~/publishing/channels.server";
import { createChannel } from "~/publishing/channels.server";
import { quietLogger } from "../../../db/migrate";
import { db, pool } from "~/db.server";
import { taskList } from "~/jobs/tasks.server";
import { generateSecretsKey } from "~/publishing/secrets.server";
import { approveDirectly, jpegBytes, makeDepartment, newDraft, signedIn } from "../../factories";

// Publishing tests need a key for channel secrets and an absolute site address for feeds.
process.env.SECRETS_KEY ??= generateSecretsKey();
process.env.PUBLIC_URL ??= "https://intranet.example.org";

/** A comms member as an Actor. */
export async function comms() {
  const user = await signedIn("comms");
  return { ...user, actor: { id: user.id, role: user.role, departmentId: user.departmentId } };
}

/**
 * An approved contribution, eligible for external publication, with `photos` photos whose alt
 * text and rights allow external use; its author and department.
 */
export async function publishable(options: { photos?: number; title?: string; departmentName?: string } = {}) {
  const departmentName = options.departmentName ?? `Culture ${randomBytes(4).toString("hex")}`;
  const departmentId = await makeDepartment(departmentName);
  const author = await signedIn("agent", departmentId);
  const files: [Blob, string][] = [];
  for (let i = 0; i < (options.photos ?? 1); i++) {
    files.push([new Blob([new Uint8Array(await jpegBytes(10 + i + Math.floor(Math.random() * 100), 240))], { type: "image/jpeg" }), `photo-${i}.jpg`]);
  }
  const id = await newDraft(author.cookie, { title: options.title ?? "Fête du quartier au centre culturel" }, files);
  await approveDirectly(id, "organisation");
  await db().updateTable("contribution").set({ external_eligible: true }).where("id", "=", id).execute();
  await db().updateTable("photo").set({ alt_text: "Des enfants dansent sur la place", rights_status: "no_person" }).where("contribution_id", "=", id).execute();
  const photos = await db().selectFrom("photo").select(["id", "position"]).where("contribution_id", "=", id).orderBy("position").execute();
  const name = await db().selectFrom("app_user").select("display_name").where("id", "=", author.id).executeTakeFirstOrThrow();
  return { id, author: { ...author, name: name.display_name }, departmentId, departmentName, photoIds: photos.map((p) => p.id) };
}

let channels = 0;
/** A channel made through the domain, as comms would. */
export async function channel(actor: Parameters<typeof createChannel>[1], input: Partial<ChannelInput> & { kind: ChannelInput["kind"] }) {
  channels++;
  const made = await createChannel(db(), actor, { name: `Canal ${channels}`, slug: `canal-${channels}-${randomBytes(2).toString("hex")}`, ...input } as ChannelInput);
  return made;
}

/** The run_at of the publication's delivery job, or null when it has none. */
export async function deliveryJob(publicationId: number): Promise<{ runAt: Date } | null> {
  const { rows } = await sql<{ run_at: Date }>`SELECT run_at FROM graphile_worker._private_jobs WHERE key = ${`publication:${publicationId}`}`.execute(db());
  return rows[0] ? { runAt: new Date(rows[0].run_at) } : null;
}

/** Makes the publication's delivery job due now and runs every due job once, as the worker would. */
export async function runDeliveryNow(publicationId: number): Promise<void> {
  await sql`UPDATE graphile_worker._private_jobs SET run_at = now() WHERE key = ${`publication:${publicationId}`}`.execute(db());
  await runDueJobs();
}

/** Runs the jobs that are due, once (graphile-worker's runOnce with the app's task list). */
export async function runDueJobs(): Promise<void> {
  await runOnce({ pgPool: pool(), taskList, logger: quietLogger });
}

export async function publicationRow(id: number) {
  return db().selectFrom("publication").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}
