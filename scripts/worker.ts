/**
 * The job worker on its own (`npm run worker`), for deployments that run it apart from the web
 * instances (start those with RUN_WORKER=false). Uses DATABASE_URL, or the embedded server of a
 * running Relais. SIGINT/SIGTERM finish the jobs in hand (or release them after 5 s, to be retried
 * by another worker), then stop within 10 s.
 */
import { run } from "graphile-worker";
import { quietLogger } from "../db/migrate";
import { sharedDb } from "../db/pool";
import { crontab, taskList } from "../app/jobs/tasks.server";
import { configurationOrExit, poolOptions } from "../app/env.server";
import { openDatabase } from "./database";
import { exitAfterBudget, graphileWorkerShutdownOptions, workerStopper } from "./shutdown";

configurationOrExit();
const database = await openDatabase();
const pgPool = sharedDb(database.url, poolOptions()).pool;
const worker = await run({
  pgPool,
  taskList,
  crontab,
  concurrency: 2,
  noHandleSignals: true,
  logger: quietLogger,
  ...graphileWorkerShutdownOptions,
});
const stopWorker = workerStopper(worker, pgPool);
console.log("[relais] worker prêt");
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    exitAfterBudget((line) => console.log(`[relais] worker ${line}`));
    if ((await stopWorker()) === "released") console.log("[relais] des tâches n'ont pas fini à temps : rendues pour être reprises.");
    await database.close();
    console.log("[relais] worker arrêté proprement.");
    process.exit(0);
  });
}
