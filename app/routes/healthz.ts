import { sql } from "kysely";
import { db } from "~/db.server";

/** 200 {"ok":true} when the database answers, 503 otherwise (for load balancers and monitors). */
export async function loader() {
  try {
    await sql`SELECT 1`.execute(db());
    return Response.json({ ok: true }, { headers: { "Cache-Control": "no-store" } });
  } catch {
    return Response.json({ ok: false }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}
