import { inject } from "vitest";

/** The built server's database, for an e2e test to arrange data or read outcomes through the app's own modules. */
export async function database() {
  const { setDatabaseUrl } = await import("~/env.server");
  const { db } = await import("~/db.server");
  setDatabaseUrl(inject("e2eDatabaseUrl"));
  return db();
}
