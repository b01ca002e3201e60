import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { notPersonal, personal } from "../../../db/personal-data";
import { db } from "~/db.server";

async function columnsOfTheDatabase(): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT table_name || '.' || column_name AS name FROM information_schema.columns
    WHERE table_schema = 'public' ORDER BY 1`.execute(db());
  return rows.map((r) => r.name);
}

function listed(): { personal: string[]; notPersonal: string[] } {
  return {
    personal: Object.entries(personal).flatMap(([table, columns]) => Object.keys(columns).map((c) => `${table}.${c}`)),
    notPersonal: Object.entries(notPersonal).flatMap(([table, columns]) => columns.map((c) => `${table}.${c}`)),
  };
}

describe("the register of personal columns (db/personal-data.ts)", () => {
  it("lists every column of the migrated database, each once, and none that is gone", async () => {
    const inDatabase = await columnsOfTheDatabase();
    const { personal: p, notPersonal: n } = listed();
    const both = p.filter((c) => n.includes(c));
    expect(both, "listed as personal and as not personal").toEqual([]);
    const unlisted = inDatabase.filter((c) => !p.includes(c) && !n.includes(c));
    expect(unlisted, "columns to class in db/personal-data.ts").toEqual([]);
    const gone = [...p, ...n].filter((c) => !inDatabase.includes(c));
    expect(gone, "listed columns the database no longer has").toEqual([]);
  });
});
