import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { createDepartment, departmentChoices } from "~/organisation/departments.server";
import { rebuildStatistics, refreshStatistics } from "~/statistics/rollups.server";
import { dashboard } from "~/statistics/statistics.server";
import { makeUser } from "../../factories";
import { seedDataset, type Seeded } from "./dataset";

// The dashboard's sums of roll-ups are kept per generation of the roll-ups (migration 23,
// rollup-cache.server.ts): read again while nothing changed, read anew once something did.

let data: Seeded;
const everyDepartment = { departmentId: null } as const;
const period = { kind: "custom" as const, from: "2025-12-01", to: "2026-11-30" };

beforeAll(async () => {
  data = await seedDataset(23);
  await rebuildStatistics(db());
});

const totalsNow = async () => (await dashboard(db(), everyDepartment, period)).totals;

describe("the dashboard's kept figures", () => {
  it("answers from what it kept while the roll-ups have not changed, and anew once they have", async () => {
    const first = await totalsNow();
    expect(first.submitted).toBeGreaterThan(0);

    // The roll-ups altered behind the app's back, generation untouched: the kept figures answer.
    await sql`UPDATE statistics_department_month SET submitted_in_review = submitted_in_review + 1000`.execute(db());
    await sql`UPDATE statistics_department_day SET submitted_in_review = submitted_in_review + 1000`.execute(db());
    expect(await totalsNow()).toEqual(first);

    // Something counted happens; the minute job recomputes its day and writes a new generation:
    // the page reads the roll-ups again (the days it recomputed are right again, the others keep
    // the +1000 written above, which shows the figures were read anew).
    const generationBefore = (await db().selectFrom("statistics_generation").select("generation").executeTakeFirstOrThrow()).generation;
    const thanker = await makeUser("agent", data.departments.c);
    const thanked = data.contributions.find((c) => c.approvedAt)!;
    await db().insertInto("thanks").values({ contribution_id: thanked.id, user_id: thanker.id, created_at: new Date("2026-06-15T10:00:00Z") }).execute();
    expect(await refreshStatistics(db())).toBeGreaterThan(0);
    const generationAfter = (await db().selectFrom("statistics_generation").select("generation").executeTakeFirstOrThrow()).generation;
    expect(generationAfter).not.toBe(generationBefore);
    const after = await totalsNow();
    expect(after.thanksReceived).toBe(first.thanksReceived + 1);
    expect(after.submitted).toBeGreaterThan(first.submitted + 1000);
  });

  it("shows a department's new name and a new department at once, even renamed by another instance (they change the generation)", async () => {
    const before = await dashboard(db(), everyDepartment, period);
    const admin = await makeUser("admin", null);
    await createDepartment(db(), admin, "Jeunesse (stats)");
    await departmentChoices(db()); // this process's copy of the departments, kept for a minute
    // Renamed by another instance: this process's copy is not told.
    await db().updateTable("department").set({ name: "Culture et patrimoine (stats)" }).where("id", "=", data.departments.a).execute();
    const after = await dashboard(db(), everyDepartment, period);
    const names = after.departments.map((d) => d.name);
    expect(names).toContain("Culture et patrimoine (stats)");
    expect(names).toContain("Jeunesse (stats)");
    expect(names).not.toContain("Culture (stats)");
    expect(after.departments.length).toBe(before.departments.length + 1);
    expect(after.shares[0].departments).toBe(before.shares[0].departments + 1);
  });
});
