import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import * as csvPage from "~/routes/statistics[.]csv";
import * as dashboardPage from "~/routes/statistics";
import * as summaryPage from "~/routes/my_.summary";
import { rebuildStatistics } from "~/statistics/rollups.server";
import { context, get, makeUser, outcome, run, signedIn } from "../../factories";
import { seedDataset, type Seeded } from "./dataset";
import { unpack } from "~/utils/packed";

// The pages' permissions (dashboard and CSV alike), their refusals of bad input, and the CSV's bytes.

let data: Seeded;
const YEAR = "period=custom&from=2025-12-01&to=2026-11-30";

beforeAll(async () => {
  data = await seedDataset(7);
  await rebuildStatistics(db());
});

async function load(path: string, cookie: string): Promise<unknown> {
  const args = { request: get(path, cookie), params: {}, context };
  if (path.startsWith("/statistics.csv")) return run(() => csvPage.loader(args));
  if (path.startsWith("/my/summary")) return run(() => summaryPage.loader(args));
  return run(() => dashboardPage.loader(args));
}

describe("who may read the statistics", () => {
  it("answers 403 to agents, dashboard and CSV alike", async () => {
    const agent = await signedIn("agent", data.departments.a);
    for (const path of ["/statistics", `/statistics?${YEAR}`, `/statistics?department=${data.departments.a}`, "/statistics.csv", `/statistics.csv?${YEAR}`]) {
      expect(outcome(await load(path, agent.cookie)).status, path).toBe(403);
    }
  });

  it("gives a department's manager their department and answers 403 for another one", async () => {
    const manager = await signedIn("manager", data.departments.a);
    const own = outcome(await load(`/statistics?${YEAR}`, manager.cookie));
    expect(own.status).toBe(200);
    expect(own.body.scopeName).toBe("Culture (stats)");
    const names = unpack<any>(own.body.result).contributors.map((c: { name: string }) => c.name);
    // Everyone of the department with activity, named (opted-out people too: it is their manager's table).
    expect(names.length).toBeGreaterThan(0);
    for (const agent of data.agents.filter((a) => a.departmentId === data.departments.a)) expect(names).toContain(agent.name);
    for (const agent of data.agents.filter((a) => a.departmentId !== data.departments.a)) expect(names).not.toContain(agent.name);
    expect(own.body.departments).toBeNull();
    expect(unpack<any>(own.body.result).departments).toEqual([]);
    expect(outcome(await load(`/statistics?department=${data.departments.a}&${YEAR}`, manager.cookie)).status).toBe(200);
    for (const path of [`/statistics?department=${data.departments.b}`, `/statistics.csv?department=${data.departments.b}&${YEAR}`]) {
      expect(outcome(await load(path, manager.cookie)).status, path).toBe(403);
    }
    const csv = await load(`/statistics.csv?${YEAR}`, manager.cookie);
    expect(csv).toBeInstanceOf(Response);
    const text = await (csv as Response).text();
    for (const agent of data.agents.filter((a) => a.departmentId !== data.departments.a)) expect(text).not.toContain(agent.name);
  });

  it("gives organisation-wide managers, comms and admins every department, and one on request", async () => {
    const viewers = [await signedIn("manager", null), await signedIn("comms", data.departments.c), await signedIn("admin", null)];
    for (const viewer of viewers) {
      const all = outcome(await load(`/statistics?${YEAR}`, viewer.cookie));
      expect(all.status, viewer.role).toBe(200);
      expect(all.body.scopeName).toBeNull();
      expect(unpack<any>(all.body.result).departments.map((d: { departmentId: number }) => d.departmentId)).toEqual(
        expect.arrayContaining([data.departments.a, data.departments.b, data.departments.c]),
      );
      const one = outcome(await load(`/statistics?${YEAR}&department=${data.departments.b}`, viewer.cookie));
      expect(one.status).toBe(200);
      expect(one.body.scopeName).toBe("Sports (stats)");
      expect(unpack<any>(one.body.result).contributors.every((c: { departmentId: number }) => c.departmentId === data.departments.b)).toBe(true);
      const csv = await load(`/statistics.csv?${YEAR}&department=${data.departments.b}`, viewer.cookie);
      expect((csv as Response).status).toBe(200);
    }
  });
});

describe("bad input", () => {
  it("is refused with a 400 and a message by the field, never a 500", async () => {
    const comms = await signedIn("comms", data.departments.c);
    const cases: [string, string, string][] = [
      ["/statistics?period=decade", "period", "statistics.errors.period"],
      ["/statistics?period=custom&from=2026-02-01", "to", "statistics.errors.toRequired"],
      ["/statistics?period=custom&from=2026-02-01&to=2026-01-01", "to", "statistics.errors.order"],
      ["/statistics?period=custom&from=2020-01-01&to=2026-01-01", "to", "statistics.errors.tooLong"],
      ["/statistics?period=custom&from=2026-02-30&to=2026-03-01", "from", "statistics.errors.date"],
      ["/statistics?department=abc", "department", "statistics.errors.department"],
      ["/statistics?department=99999999999", "department", "statistics.errors.department"],
      ["/statistics?department=987654", "department", "statistics.errors.departmentUnknown"],
    ];
    for (const [path, field, message] of cases) {
      const result = outcome(await load(path, comms.cookie));
      expect(result.status, path).toBe(400);
      expect(result.body.errors[field], path).toBe(message);
      expect(result.body.result).toBeNull();
      const csv = await load(path.replace("/statistics", "/statistics.csv"), comms.cookie);
      expect((csv as Response).status, `${path} (CSV)`).toBe(400);
      expect((csv as Response).headers.get("Content-Type")).toContain("text/plain");
    }
  });
});

describe("the CSV", () => {
  it("is the dashboard's table as bytes a French spreadsheet opens: BOM, ;, CRLF, dd/mm/yyyy, decimal comma, formulas neutralised", async () => {
    const department = await db().insertInto("department").values({ name: "=Équipe;test" }).returning("id").executeTakeFirstOrThrow();
    const agent = await makeUser("agent", department.id);
    await db().updateTable("app_user").set({ display_name: "@Zoé \"Z\" Martin" }).where("id", "=", agent.id).execute();
    const other = await makeUser("agent", department.id);
    await db().updateTable("app_user").set({ display_name: "Anne Ézard" }).where("id", "=", other.id).execute();
    const comms = await signedIn("comms", data.departments.c);
    const channel = data.channels[0];
    // By name ("@" sorts before letters). Zoé: one contribution submitted 31/03 at 23:30 in Paris, approved 90 minutes later (1 April), published, thanked.
    const submitted = new Date("2026-03-31T21:30:00Z");
    const decided = new Date("2026-03-31T23:00:00Z");
    const c = await db()
      .insertInto("contribution")
      .values({ author_id: agent.id, department_id: department.id, title: "x", body_json: "{}", body_html: "", body_text: "", status: "approved", visibility: "organisation", submitted_at: submitted, approved_at: decided, updated_at: decided })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db().insertInto("contribution_event").values({ contribution_id: c.id, actor_id: agent.id, kind: "submitted", created_at: submitted }).execute();
    await db().insertInto("contribution_event").values({ contribution_id: c.id, actor_id: comms.id, kind: "approved", created_at: decided }).execute();
    await db()
      .insertInto("publication")
      .values({ contribution_id: c.id, channel_id: channel.id, text: "…", scheduled_at: new Date("2030-01-01T00:00:00Z"), state: "published", published_at: new Date("2026-04-02T08:00:00Z"), updated_at: new Date() })
      .execute();
    await db().insertInto("thanks").values({ contribution_id: c.id, user_id: other.id, created_at: new Date("2026-04-02T09:00:00Z") }).execute();
    await db().insertInto("comment").values({ contribution_id: c.id, author_id: other.id, body: "Bravo", created_at: new Date("2026-04-03T09:00:00Z") }).execute();
    await rebuildStatistics(db());

    const response = (await load(`/statistics.csv?period=custom&from=2026-03-01&to=2026-04-30&department=${department.id}`, comms.cookie)) as Response;
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("Content-Disposition")).toBe('attachment; filename="statistiques-2026-03-01-2026-04-30.csv"');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.toString("utf8")).toBe(
      "\uFEFF" +
        "Service;Personne;Du;Au;Contributions soumises;Contributions approuvées;Publications à l'extérieur;Canaux;Mercis reçus;Commentaires écrits;Décisions;Délai médian jusqu'à la décision (heures)\r\n" +
        `"'=Équipe;test";"'@Zoé ""Z"" Martin";01/03/2026;30/04/2026;1;1;1;${channel.name} (1);1;0;1;1,5\r\n` +
        `"'=Équipe;test";Anne Ézard;01/03/2026;30/04/2026;0;0;0;;0;1;0;\r\n`,
    );
  });
});

describe("an agent's summary", () => {
  it("shows their own figures and their department's totals only, whatever the address asks", async () => {
    const agent = data.agents[0];
    const session = await signedIn("agent", agent.departmentId);
    // Signed in as a colleague, asking for another department: still their own figures.
    const result = outcome(await load(`/my/summary?${YEAR}&department=${data.departments.b}`, session.cookie));
    expect(result.status).toBe(200);
    expect(result.body.summary.mine).toMatchObject({ submitted: 0, approved: 0, published: 0 });
    expect(result.body.summary.department.name).toBe("Culture (stats)");
    expect(result.body.summary.department.totals.submitted).toBe(
      data.contributions.filter((c) => c.departmentId === data.departments.a).length,
    );
    const serialized = JSON.stringify(result.body);
    for (const other of data.agents) expect(serialized).not.toContain(other.id);
    expect(outcome(await load("/my/summary?period=custom&from=2026-02-01&to=2026-01-01", session.cookie)).status).toBe(400);
  });
});
