import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { freePort } from "../../db/embedded";

export interface RunningServer {
  port: number;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Another instance of scripts/server.ts on the production build the e2e setup made, with the given
 * settings (undefined removes one: NODE_ENV unset is a case worth testing) and no worker.
 */
export async function startServer(settings: Record<string, string | undefined>): Promise<RunningServer> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("VITEST") && !["TEST", "NODE_ENV", "TRUST_PROXY"].includes(k)) env[k] = v;
  }
  Object.assign(env, { PORT: String(port), RUN_WORKER: "false" });
  for (const [k, v] of Object.entries(settings)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/server.ts"], { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const check = setInterval(() => {
      if (!output.includes("Relais est prêt")) return;
      clearInterval(check);
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve();
    }, 50);
    child.once("exit", () => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`server exited:\n${output}`));
    });
  });
  return {
    port,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Header lines as sent, so that a header sent twice shows twice. */
  rawHeaders: string[];
  body: string;
}

/**
 * One HTTP request with exactly the method and headers given (fetch would refuse TRACE, a Host
 * header or a bad one): what a hostile client can send.
 */
export function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, method, path, headers, setHost: !Object.keys(headers).some((h) => h.toLowerCase() === "host") }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c) => chunks.push(c));
      response.on("end", () =>
        resolve({ status: response.statusCode!, headers: response.headers, rawHeaders: response.rawHeaders, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** The values of one header, as many times as it was sent. */
export function headerValues(response: RawResponse, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    if (response.rawHeaders[i].toLowerCase() === name.toLowerCase()) out.push(response.rawHeaders[i + 1]);
  }
  return out;
}
