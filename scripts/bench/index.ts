/**
 * All benchmarks, one after the other: `npm run bench`. Each runs in its own process (so that one's
 * caches, thread pools and memory do not weigh on the next), its output streamed as it comes.
 * Exits non-zero when any of them failed or missed a target.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BENCHES = ["photos", "feeds", "http", "export"];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function run(name: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join("scripts", "bench", `${name}.ts`)], {
      cwd: root,
      stdio: "inherit",
    });
    child.once("error", (error) => {
      console.error(`${name}: could not start: ${error.message}`);
      resolve(1);
    });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// Ctrl-C reaches the running benchmark too (same process group): wait for it to clean up and stop.
let interrupted = false;
process.on("SIGINT", () => {
  interrupted = true;
});

const failed: string[] = [];
for (const name of BENCHES) {
  console.log(`\n== ${name}`);
  const start = performance.now();
  const code = await run(name);
  const seconds = ((performance.now() - start) / 1000).toFixed(0);
  if (code !== 0) failed.push(name);
  console.log(`== ${name}: ${code === 0 ? "OK" : `FAIL (exit code ${code})`} in ${seconds} s`);
  if (interrupted) break;
}
console.log(failed.length === 0 ? "\nall benchmarks met their targets" : `\nfailed: ${failed.join(", ")}`);
process.exitCode = failed.length === 0 ? 0 : 1;
