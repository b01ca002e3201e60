import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";

const exec = promisify(execFile);

function relais(...args: string[]) {
  return exec(process.execPath, ["--import", "tsx", "scripts/relais.ts", ...args], {
    env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
  );
}

describe("npm run relais -- user:create", () => {
  it("creates the first admin with a password, hashed with argon2id", async () => {
    const r = await relais("user:create", "--email", "DSI@Example.org", "--name", "Service informatique", "--role", "admin", "--password", "un mot de passe long");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Compte créé : dsi@example.org (admin)");
    const row = await db().selectFrom("app_user").selectAll().where("email", "=", "dsi@example.org").executeTakeFirstOrThrow();
    expect(row).toMatchObject({ role: "admin", display_name: "Service informatique", department_id: null, active: true });
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
  }, 60_000);

  it("creates the department when needed and prints an invitation link without --password", async () => {
    const r = await relais("user:create", "--email", "agent@example.org", "--name", "Agent", "--role", "agent", "--department", "Archives");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Lien pour choisir le mot de passe : http:\/\/localhost:\d+\/invitation\/[\w-]{40,}/);
    const row = await db()
      .selectFrom("app_user as u")
      .innerJoin("department as d", "d.id", "u.department_id")
      .select(["d.name", "u.password_hash"])
      .where("u.email", "=", "agent@example.org")
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ name: "Archives", password_hash: null });
  }, 60_000);

  it("explains bad arguments in French with exit code 2 and creates nothing", async () => {
    const badRole = await relais("user:create", "--email", "x@example.org", "--name", "X", "--role", "chef");
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain("Rôle inconnu : chef");
    const missing = await relais("user:create", "--email", "x@example.org");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--email, --name et --role sont obligatoires.");
    const shortPassword = await relais("user:create", "--email", "x@example.org", "--name", "X", "--role", "admin", "--password", "court");
    expect(shortPassword.code).toBe(2);
    expect(shortPassword.stderr).toContain("au moins 10 caractères");
    expect(await db().selectFrom("app_user").select("id").where("email", "=", "x@example.org").execute()).toEqual([]);
  }, 60_000);
});

describe("npm run worker", () => {
  it("runs queued jobs on its own and stops cleanly on SIGTERM", async () => {
    const { spawn } = await import("node:child_process");
    const { enqueue } = await import("~/jobs/queue.server");
    const { sql } = await import("kysely");
    await enqueue(db(), "send_email", { to: "someone@example.org", subject: "Test", text: "Corps" });
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/worker.ts"], {
      env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL, SMTP_HOST: "" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (c) => (out += c));
    const pending = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM graphile_worker._private_jobs`.execute(db())).rows[0].n;
    for (let i = 0; i < 100 && (await pending()) > 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await pending()).toBe(0);
    const code = await new Promise<number | null>((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    });
    expect(code).toBe(0);
    expect(out).toContain("worker arrêté proprement.");
  }, 60_000);
});

describe("npm run relais -- two-factor:reset", () => {
  it("removes an account's second factor with an audit entry, and says so when there is none", async () => {
    const { makeUser } = await import("../factories");
    const admin = await makeUser("admin", null);
    await db().insertInto("two_factor").values({ user_id: admin.id, secret: "v1:a:b:c", enabled_at: new Date() }).execute();
    await db().insertInto("recovery_code").values({ user_id: admin.id, code_hash: "x" }).execute();
    const r = await relais("two-factor:reset", "--email", admin.email.toUpperCase());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Double authentification retirée pour ${admin.email.toUpperCase()}.`);
    expect(await db().selectFrom("two_factor").select("user_id").where("user_id", "=", admin.id).execute()).toEqual([]);
    expect(await db().selectFrom("recovery_code").select("user_id").where("user_id", "=", admin.id).execute()).toEqual([]);
    const entry = await db().selectFrom("audit_entry").select(["actor_id", "subject_id"]).where("action", "=", "two_factor_reset").executeTakeFirstOrThrow();
    expect(entry).toEqual({ actor_id: null, subject_id: admin.id });
    expect((await relais("two-factor:reset", "--email", admin.email)).stdout).toContain("n'avait pas de double authentification");
    const unknown = await relais("two-factor:reset", "--email", "personne@example.org");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Aucun compte pour personne@example.org.");
  }, 60_000);
});
