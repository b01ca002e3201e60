import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseCrontab, type JobHelpers } from "graphile-worker";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { keyForHash, storage, tmpDir } from "~/photos/storage.server";
import { crontab, taskList, type TaskPayloads } from "./tasks.server";

describe("daily tasks are registered in the worker's crontab", () => {
  const items = parseCrontab(crontab);
  /** How many times in a day (a Wednesday, 2026-07-15) the item runs. */
  const runsOnDay = (task: string, date = 15, month = 7, dow = 3) => {
    const item = items.find((i) => i.task === task)!;
    let n = 0;
    for (let hour = 0; hour < 24; hour++) for (let min = 0; min < 60; min++) if (item.match({ min, hour, date, month, dow })) n++;
    return n;
  };

  it("every crontab line parses and names a task of the task list", () => {
    const lines = crontab.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
    expect(items).toHaveLength(lines.length);
    for (const item of items) expect(Object.keys(taskList), item.task).toContain(item.task);
    for (const item of items) expect(typeof taskList[item.task]).toBe("function");
    // No task is scheduled twice.
    expect(new Set(items.map((i) => i.task)).size).toBe(items.length);
  });

  it("the upload sweeper runs once a day, every day of the week, at night", () => {
    const line = crontab.split("\n").find((l) => /\ssweep_uploads\b/.test(l));
    expect(line).toBeDefined();
    expect(line!.trim().split(/\s+/)).toHaveLength(6);
    for (let dow = 0; dow < 7; dow++) expect(runsOnDay("sweep_uploads", 10 + dow, 7, dow), `day ${dow}`).toBe(1);
    const item = items.find((i) => i.task === "sweep_uploads")!;
    const hours = Array.from({ length: 24 }, (_, hour) => hour).filter((hour) =>
      Array.from({ length: 60 }, (_, min) => min).some((min) => item.match({ min, hour, date: 15, month: 7, dow: 3 })),
    );
    expect(hours).toHaveLength(1);
    // Off-peak: between 22:00 and 06:00.
    expect(hours[0] >= 22 || hours[0] < 6).toBe(true);
  });

  it("the other daily tasks run once a day; the digest, expired authorisations and tag suggestions are looked at hourly, login failures pruned often", () => {
    expect(runsOnDay("sweep_uploads")).toBe(1);
    expect(runsOnDay("notification_digest")).toBe(24);
    expect(runsOnDay("refresh_tag_usage")).toBe(24);
    expect(runsOnDay("flag_expired_rights")).toBe(24);
    expect(runsOnDay("prune_login_failures")).toBeGreaterThanOrEqual(24);
    // The periodic tasks are all in the crontab (others may be added beside them).
    const scheduled: (keyof TaskPayloads)[] = ["prune_login_failures", "notification_digest", "sweep_uploads", "flag_expired_rights", "refresh_tag_usage"];
    expect(items.map((i) => i.task)).toEqual(expect.arrayContaining(scheduled));
  });

  it("the registered sweep_uploads task removes orphans older than a day, and keeps younger or referenced files", async () => {
    const store = storage();
    const put = async (ageHours: number) => {
      const data = randomBytes(64);
      const key = keyForHash(createHash("sha256").update(data).digest("hex"));
      await store.putBuffer(key, data);
      const when = new Date(Date.now() - ageHours * 3600_000);
      fs.utimesSync(path.join(env().UPLOADS_DIR, key), when, when);
      return key;
    };
    const oldOrphan = await put(25);
    const youngOrphan = await put(23);
    const oldReferenced = await put(48);
    const oldRendition = await put(48);
    const department = await db().insertInto("department").values({ name: "Balayage" }).returning("id").executeTakeFirstOrThrow();
    await db().insertInto("app_user").values({ id: "balayeur", email: "balai@example.org", display_name: "Balai", role: "agent", department_id: department.id }).execute();
    const c = await db()
      .insertInto("contribution")
      .values({ author_id: "balayeur", department_id: department.id, title: "Gardée", body_json: JSON.stringify({ type: "doc", content: [] }), body_html: "", body_text: "" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const photo = await db()
      .insertInto("photo")
      .values({ contribution_id: c.id, position: 0, master_key: oldReferenced, width: 1, height: 1, bytes: 64, placeholder: "" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db().insertInto("photo_rendition").values({ photo_id: photo.id, kind: "thumb", width: 1, height: 1, bytes: 64, file_key: oldRendition }).execute();
    const oldTemp = path.join(tmpDir(), `upload-${randomBytes(8).toString("hex")}`);
    fs.writeFileSync(oldTemp, "x");
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    fs.utimesSync(oldTemp, twoDaysAgo, twoDaysAgo);

    await taskList.sweep_uploads!({}, {} as JobHelpers);

    expect(await store.exists(oldOrphan)).toBe(false);
    expect(await store.exists(youngOrphan)).toBe(true);
    expect(await store.exists(oldReferenced)).toBe(true);
    expect(await store.exists(oldRendition)).toBe(true);
    expect(fs.existsSync(oldTemp)).toBe(false);
  });
});

describe("the digest's hour", () => {
  it("is 07:00 in the organisation's time zone, summer and winter, not 07:00 UTC", async () => {
    const { isDigestHour } = await import("~/notifications/jobs.server");
    expect(isDigestHour(new Date("2026-01-15T06:00:00Z"), "Europe/Paris")).toBe(true);
    expect(isDigestHour(new Date("2026-01-15T07:00:00Z"), "Europe/Paris")).toBe(false);
    expect(isDigestHour(new Date("2026-07-15T05:00:00Z"), "Europe/Paris")).toBe(true);
    expect(isDigestHour(new Date("2026-07-15T06:59:59Z"), "Europe/Paris")).toBe(false);
    expect(isDigestHour(new Date("2026-01-15T12:00:00Z"), "America/New_York")).toBe(true);
  });
});
