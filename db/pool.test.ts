import os from "node:os";
import { sql, type Kysely } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { createDb, MAX_PREPARED, poolSize, statementName } from "./pool";
import type { Database } from "./schema";

describe("poolSize", () => {
  it("is twice the cores plus one, at least 4, unless DATABASE_POOL_MAX says otherwise", () => {
    expect(poolSize()).toBe(Math.max(4, 2 * os.availableParallelism() + 1));
    expect(poolSize(12)).toBe(12);
  });
});

// One connection each, so that what a query prepared is seen by the next query of the same pool.
const prepared = createDb(process.env.DATABASE_URL!, { max: 1 });
const unprepared = createDb(process.env.DATABASE_URL!, { max: 1, prepare: false });
afterAll(async () => {
  await prepared.db.destroy();
  await unprepared.db.destroy();
});

const departmentById = (db: Kysely<Database>, id: number) => db.selectFrom("department").select("name").where("id", "=", id);

/** PostgreSQL's prepared statements on the pool's connection, with how many times each ran. */
async function preparedStatements(db: Kysely<Database>) {
  const { rows } = await sql<{ statement: string; runs: number }>`
    SELECT statement, (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements`.execute(db);
  return rows;
}

describe("prepared statements (db/pool.ts)", () => {
  it("parses a statement once per connection, then runs it again with other values", async () => {
    const text = departmentById(prepared.db, 0).compile().sql;
    await departmentById(prepared.db, -1).execute();
    await departmentById(prepared.db, -2).execute();
    // The path Lucia's adapter takes: pool.query(text, values).
    await prepared.pool.query(text, [-3]);
    const same = (await preparedStatements(prepared.db)).filter((s) => s.statement === text);
    expect(same).toEqual([{ statement: text, runs: 3 }]);
  });

  it("answers as an unprepared statement does, errors included, and recovers after one", async () => {
    const insert = (name: string) => prepared.db.insertInto("department").values({ name }).returning("id");
    const name = `Préparé ${process.pid}`;
    const [created] = await insert(name).execute();
    expect(await departmentById(prepared.db, created.id).execute()).toEqual([{ name }]);
    expect(await departmentById(prepared.db, created.id).execute()).toEqual(await departmentById(unprepared.db, created.id).execute());
    await expect(insert(name.toUpperCase()).execute()).rejects.toThrow(/department_name_key/);
    const [again] = await insert(`${name} bis`).execute();
    expect(again.id).toBeGreaterThan(created.id);
    await prepared.db.deleteFrom("department").where("id", "in", [created.id, again.id]).execute();
  });

  it("prepares a statement again when a migration changed its columns (another instance's, in a rolling deploy)", async () => {
    await sql`CREATE TABLE prepared_probe (a int)`.execute(prepared.db);
    await sql`INSERT INTO prepared_probe VALUES (1)`.execute(prepared.db);
    const read = () => sql<Record<string, number | null>>`SELECT * FROM prepared_probe`.execute(prepared.db).then((r) => r.rows);
    expect(await read()).toEqual([{ a: 1 }]);
    await sql`ALTER TABLE prepared_probe ADD COLUMN b int`.execute(unprepared.db);
    expect(await read()).toEqual([{ a: 1, b: null }]);
    // Lucia's path (pool.query with a callback) too.
    const viaPool = () => prepared.pool.query("SELECT * FROM prepared_probe WHERE a = $1", [1]).then((r) => r.rows);
    expect(await viaPool()).toEqual([{ a: 1, b: null }]);
    await sql`ALTER TABLE prepared_probe ADD COLUMN c int`.execute(unprepared.db);
    expect(await viaPool()).toEqual([{ a: 1, b: null, c: null }]);
    await sql`DROP TABLE prepared_probe`.execute(unprepared.db);
  });

  it("prepares nothing when told not to (a pooler in transaction mode)", async () => {
    await departmentById(unprepared.db, -1).execute();
    await departmentById(unprepared.db, -1).execute();
    expect(await preparedStatements(unprepared.db)).toEqual([]);
  });

  it("leaves other statements unnamed, and names at most MAX_PREPARED distinct texts", () => {
    expect(statementName("BEGIN")).toBeUndefined();
    expect(statementName("SET LOCAL statement_timeout = 0")).toBeUndefined();
    const first = statementName("select 'bound test 0'");
    expect(first).toMatch(/^relais_\d+$/);
    expect(statementName("select 'bound test 0'")).toBe(first);
    const names = Array.from({ length: MAX_PREPARED + 10 }, (_, i) => statementName(`select 'bound test ${i}'`));
    expect(names.filter((n) => n !== undefined).length).toBeLessThanOrEqual(MAX_PREPARED);
    expect(names.at(-1)).toBeUndefined();
  });
});
