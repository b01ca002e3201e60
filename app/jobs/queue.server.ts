import { sql } from "kysely";
import type { DB } from "~/db.server";
import type { TaskPayloads } from "./tasks.server";

export interface JobOptions {
  runAt?: Date;
  maxAttempts?: number;
  /** A job with the same key replaces the pending one instead of adding a second. */
  jobKey?: string;
}

/**
 * Queues a job through SQL, so that it commits or rolls back with the caller's transaction: a mail
 * is never sent for a change that did not happen.
 */
export async function enqueue<T extends keyof TaskPayloads>(
  db: DB,
  task: T,
  payload: TaskPayloads[T],
  options: JobOptions = {},
): Promise<void> {
  await sql`SELECT graphile_worker.add_job(
    identifier => ${task},
    payload => ${JSON.stringify(payload)}::json,
    run_at => ${options.runAt ?? null}::timestamptz,
    max_attempts => ${options.maxAttempts ?? 10}::int,
    job_key => ${options.jobKey ?? null}::text
  )`.execute(db);
}
