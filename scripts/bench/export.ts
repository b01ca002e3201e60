/**
 * Data export benchmark: `npx tsx scripts/bench/export.ts`. Exits non-zero when a target is missed.
 *
 * A throwaway embedded PostgreSQL, migrated; one agent with 200 contributions and 1,000 photos
 * (BENCH_PHOTOS to change it), each photo its own 200 KB master file in the disk storage (random
 * bytes: the export copies them, it never decodes them, and random bytes do not compress). Then
 * buildExport, what the build_export job runs, in this process as the worker would. Targets: done
 * in under 60 s, and this process's resident memory growing by less than 100 MB over its level
 * before (sampled every 20 ms). The ZIP is then checked: one entry per photo, plus data.json and
 * README.txt.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";

const CONTRIBUTIONS = 200;
const PHOTOS = Number(process.env.BENCH_PHOTOS ?? 1_000);
const PHOTO_BYTES = 200 * 1024;
const MAX_SECONDS = 60;
const MAX_GROWTH_MB = 100;
const MB = 1024 * 1024;

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "relais-bench-export-"));
fs.chmodSync(workDir, 0o755); // under root, postgres runs as the postgres user and must enter it
process.env.UPLOADS_DIR = path.join(workDir, "uploads");

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let server: EmbeddedPostgres | undefined;
try {
  server = await startEmbeddedPostgres({ dataDir: path.join(workDir, "pg") });
  // App modules read DATABASE_URL lazily (env.server.ts): set before they are used.
  process.env.DATABASE_URL = server.url;
  await migrateToLatest(server.url);
  const { db, closeDb } = await import("../../app/db.server").then((m) => ({ db: m.db, closeDb: async () => (await import("../../db/pool")).closeSharedDb() }));
  const { keyForHash, storage } = await import("../../app/photos/storage.server");
  const { buildExport } = await import("../../app/privacy/export.server");

  const seeding = performance.now();
  const { id: department } = await db().insertInto("department").values({ name: "Médiathèque" }).returning("id").executeTakeFirstOrThrow();
  const userId = "bench-export";
  await db().insertInto("app_user").values({ id: userId, email: "agent@example.org", display_name: "Agent Banc", role: "agent", department_id: department }).execute();
  const body = "Une belle journée à la médiathèque avec les enfants du quartier. ".repeat(20);
  const contributions = await db()
    .insertInto("contribution")
    .values(
      Array.from({ length: CONTRIBUTIONS }, (_, i) => ({
        author_id: userId,
        department_id: department,
        title: `Sortie numéro ${i + 1}`,
        body_json: JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: body }] }] }),
        body_html: `<p>${body}</p>`,
        body_text: body,
        status: i % 4 === 0 ? ("draft" as const) : ("approved" as const),
        visibility: i % 4 === 0 ? null : ("organisation" as const),
        approved_at: i % 4 === 0 ? null : new Date(),
        updated_at: new Date(),
      })),
    )
    .returning("id")
    .execute();
  const store = storage();
  const rows = [];
  for (let i = 0; i < PHOTOS; i++) {
    const bytes = randomBytes(PHOTO_BYTES);
    const key = keyForHash(createHash("sha256").update(bytes).digest("hex"));
    await store.putBuffer(key, bytes);
    rows.push({ contribution_id: contributions[i % CONTRIBUTIONS].id, position: Math.floor(i / CONTRIBUTIONS), master_key: key, width: 1600, height: 1200, bytes: PHOTO_BYTES, placeholder: "" });
  }
  for (let i = 0; i < rows.length; i += 500) await db().insertInto("photo").values(rows.slice(i, i + 500)).execute();
  const { id: exportId } = await db().insertInto("data_export").values({ user_id: userId, requested_by: userId }).returning("id").executeTakeFirstOrThrow();
  console.log(`seeded ${CONTRIBUTIONS} contributions and ${PHOTOS} photos of ${PHOTO_BYTES / 1024} KB in ${((performance.now() - seeding) / 1000).toFixed(0)} s`);

  gc();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  await buildExport(db(), exportId);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);

  const row = await db().selectFrom("data_export").selectAll().where("id", "=", exportId).executeTakeFirstOrThrow();
  const growth = (peak - before) / MB;
  const entries = row.file_key ? await countEntries(path.join(process.env.UPLOADS_DIR, ...row.file_key.split("/"))) : 0;
  const complete = row.state === "ready" && row.photos_done === PHOTOS && entries === PHOTOS + 2;
  const fast = seconds < MAX_SECONDS;
  const lean = growth < MAX_GROWTH_MB;
  console.log(`export: ${entries} entries, ${((row.bytes ?? 0) / MB).toFixed(0)} MB, state ${row.state}, ${row.photos_done} / ${row.photos_total} photos ${complete ? "OK" : "FAIL"}`);
  console.log(`export time: ${seconds.toFixed(1)} s (target < ${MAX_SECONDS} s) ${fast ? "OK" : "FAIL"}`);
  console.log(
    `export memory: RSS ${(before / MB).toFixed(0)} MB before, ${(peak / MB).toFixed(0)} MB at peak, growth ${growth.toFixed(0)} MB (target < ${MAX_GROWTH_MB} MB) ${lean ? "OK" : "FAIL"}`,
  );
  await closeDb();
  process.exitCode = complete && fast && lean ? 0 : 1;
} finally {
  await server?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}

/** Entries in a ZIP's central directory (read from its end record, without loading the archive). */
async function countEntries(file: string): Promise<number> {
  const handle = await fs.promises.open(file, "r");
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(Math.min(size, 64 * 1024));
    await handle.read(tail, 0, tail.length, size - tail.length);
    for (let at = tail.length - 22; at >= 0; at--) {
      if (tail.readUInt32LE(at) === 0x06054b50) return tail.readUInt16LE(at + 10);
    }
    return -1;
  } finally {
    await handle.close();
  }
}
