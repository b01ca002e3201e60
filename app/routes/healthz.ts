import { sql } from "kysely";
import { db } from "~/db.server";

/** Monitors give up after a few seconds: a database that does not answer within this is down. */
const ANSWER_WITHIN_MS = 1500;

/** 200 {"ok":true} when the database answers, 503 otherwise (for load balancers and monitors). */
export async function loader() {
  let timer: NodeJS.Timeout | undefined;
  // A frozen server never answers, and the pool's own timeouts are longer than a monitor waits.
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ANSWER_WITHIN_MS)));
  const answered = sql`SELECT 1`.execute(db()).then(
    () => true,
    () => false,
  );
  const ok = await Promise.race([answered, late]);
  clearTimeout(timer);
  const headers = { "Cache-Control": "no-store" };
  return ok ? Response.json({ ok: true }, { headers }) : Response.json({ ok: false }, { status: 503, headers });
}
