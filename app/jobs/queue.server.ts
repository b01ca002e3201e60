import { sql } from "kysely";
import type { Task } from "graphile-worker";
import type { DB } from "~/db.server";

/*
 * Each feature declares its own tasks in its `jobs.server.ts`: the payload of each task, by adding
 * it to graphile-worker's `GraphileWorker.Tasks` interface (declaration merging), and the task
 * functions. This module imports no feature: features import it to queue their jobs, and
 * tasks.server.ts imports the features to collect their tasks, so imports go one way.
 */

/** Every task's payload, as the features declared them: what enqueue() and the task list are typed by. */
export type TaskPayloads = GraphileWorker.Tasks;
export type TaskName = keyof TaskPayloads;

/** The functions of the named tasks, each given its own payload type. */
export type Tasks<K extends TaskName> = { [T in K]: Task<T> };

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
export async function enqueue<T extends TaskName>(db: DB, task: T, payload: TaskPayloads[T], options: JobOptions = {}): Promise<void> {
  await sql`SELECT graphile_worker.add_job(
    identifier => ${task},
    payload => ${JSON.stringify(payload)}::json,
    run_at => ${options.runAt ?? null}::timestamptz,
    max_attempts => ${options.maxAttempts ?? 10}::int,
    job_key => ${options.jobKey ?? null}::text
  )`.execute(db);
}

/** Removes the pending job queued with `jobKey` (one running is not retried); nothing when there is none. */
export async function removeJob(db: DB, jobKey: string): Promise<void> {
  await sql`SELECT graphile_worker.remove_job(${jobKey})`.execute(db);
}
