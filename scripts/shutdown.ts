import type http from "node:http";
import net from "node:net";
import type { Runner } from "graphile-worker";
import type pg from "pg";

/**
 * A graceful stop fits in this: an orchestrator (systemd's TimeoutStopSec, Kubernetes'
 * terminationGracePeriodSeconds, a load balancer's deregistration) kills what is still running
 * after about 10 s, so each step below gets a share of it.
 */
export const SHUTDOWN_BUDGET_MS = 10_000;
/** Requests in flight get this long to finish before their connections are cut. */
export const HTTP_DRAIN_MS = 7_000;
/** Jobs in hand get this long to finish; then they are released (failed, to be retried elsewhere). */
export const WORKER_GRACE_MS = 5_000;
/** Unlocking them (one query) gets at most this long, within the 10 s. */
const WORKER_RELEASE_MS = 3_500;

const wait = (ms: number) => new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), ms).unref());

/** Connections open but idle when the signal came get this long to send one more request. */
export const IDLE_GRACE_MS = 1_000;

/**
 * Stops accepting connections and lets the requests in flight finish, for at most `withinMs`.
 * Returns whether every request finished in time.
 *
 * Not http.Server#close, which also closes every idle connection at once: a client that has just
 * sent its next request on a kept-alive connection (a load balancer's pool does so all the time),
 * or a new connection whose request is still on its way, would see a reset. Instead the listening
 * socket alone is closed; responses from now on say "Connection: close" (drainingHeader), and
 * connections still idle after IDLE_GRACE_MS are closed, then every 100 ms.
 */
export async function drainHttp(server: http.Server, withinMs = HTTP_DRAIN_MS): Promise<boolean> {
  const closed = new Promise<"closed">((resolve) => net.Server.prototype.close.call(server, () => resolve("closed")));
  // From a timer, the bytes of a request that arrived while the process was busy are not read
  // yet, and its connection would look idle: setImmediate lets the poll phase read them first.
  const closeIdle = () => setImmediate(() => server.closeIdleConnections());
  let sweeper: NodeJS.Timeout | undefined;
  const grace = setTimeout(() => {
    closeIdle();
    sweeper = setInterval(closeIdle, 100);
  }, IDLE_GRACE_MS);
  const outcome = await Promise.race([closed, wait(withinMs)]);
  clearTimeout(grace);
  clearInterval(sweeper);
  if (outcome === "closed") return true;
  server.closeAllConnections();
  await closed;
  return false;
}

/** Express middleware: while draining, each response asks its client not to reuse the connection. */
export function drainingHeader(isDraining: () => boolean) {
  return (_req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => {
    if (isDraining()) res.setHeader("Connection", "close");
    next();
  };
}

/**
 * Makes the job worker stoppable (call right after run()): stop() takes no new job; the jobs in
 * hand may finish for `withinMs` (their abort signal fires before that, see
 * graphileWorkerShutdownOptions); past it they are unlocked, so that another worker (or this one,
 * restarted) runs them again at once rather than after graphile-worker's 4-hour lock.
 * runner.kill() cannot do that: once stop() has begun, it does nothing.
 */
export function workerStopper(worker: Runner, pgPool: pg.Pool) {
  const inHand = new Map<string, string>(); // job id → who locked it (the worker pool's id)
  worker.events.on("job:start", ({ job }) => {
    if (job.locked_by) inHand.set(job.id, job.locked_by);
  });
  worker.events.on("job:complete", ({ job }) => inHand.delete(job.id));
  return async function stop(withinMs = WORKER_GRACE_MS): Promise<"finished" | "released"> {
    const stopped = worker.stop().then(() => "finished" as const);
    const outcome = await Promise.race([stopped, wait(withinMs)]);
    if (outcome === "finished") return "finished";
    const lockers = [...new Set(inHand.values())];
    if (lockers.length > 0) {
      await Promise.race([pgPool.query("SELECT graphile_worker.force_unlock_workers($1::text[])", [lockers]), wait(WORKER_RELEASE_MS)]).catch(() => {});
    }
    return "released";
  };
}

/**
 * For graphile-worker's run(): its own signal to jobs (AbortSignal in their helpers) comes before
 * stopWorker gives up. And completions go through its batchers (delay 0: no wait in practice),
 * because only those are flushed by stop(): unbatched, a job's completion is written without being
 * awaited, so stop() could resolve, the pool close, and a finished job stay locked for 4 hours,
 * then run again (a mail sent twice).
 */
export const graphileWorkerShutdownOptions = {
  gracefulShutdownAbortTimeout: WORKER_GRACE_MS - 1_500,
  preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
};

/** Exits anyway when a stop hangs, so that the orchestrator never needs to SIGKILL. */
export function exitAfterBudget(log: (line: string) => void, budgetMs = SHUTDOWN_BUDGET_MS - 500): void {
  setTimeout(() => {
    log(`arrêt incomplet après ${budgetMs} ms : sortie forcée.`);
    process.exit(1);
  }, budgetMs).unref();
}
