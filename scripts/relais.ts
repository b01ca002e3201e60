/**
 * The `relais` command line:
 *   npm run relais -- user:create --email E --name N --role R [--department D] [--password P]
 *   npm run relais -- db:migrate
 *   npm run relais -- db:grant --role NAME
 *   npm run relais -- statistics:rebuild
 *   npm run relais -- two-factor:reset --email E
 */
import { parseArgs } from "node:util";
import { ROLES, type Role } from "../db/schema";
import { configurationOrExit } from "../app/env.server";
import { openDatabase } from "./database";

const USAGE = `Usage :
  npm run relais -- user:create --email E --name N --role agent|comms|manager|admin [--department D] [--password P]
      Crée un compte. Sans --password, affiche un lien d'invitation (valable 7 jours) pour choisir le mot de passe.
      --department : nom du service (créé s'il n'existe pas).
  npm run relais -- db:migrate
      Applique les migrations.
  npm run relais -- db:grant --role NAME
      Donne au rôle PostgreSQL NAME (qui doit exister) les droits de l'application : lire et écrire les
      lignes, rien d'autre ; sur le journal d'audit, lire et ajouter seulement. À lancer avec le rôle
      propriétaire, après chaque db:migrate.
  npm run relais -- statistics:rebuild
      Recalcule toutes les statistiques depuis les contributions, publications, mercis et commentaires
      (après un import en masse, par exemple ; la tâche de chaque minute ne recalcule que les jours touchés).
  npm run relais -- two-factor:reset --email E
      Retire la double authentification d'un compte (téléphone perdu sans code de secours, et aucun autre
      administrateur pour le faire depuis « Personnes ») : la personne se connecte avec son mot de passe,
      puis configure à nouveau son application. Inscrit au journal d'audit.`;

class CliError extends Error {}
function fail(message: string): never {
  throw new CliError(message);
}

configurationOrExit();
try {
  await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  console.error(error.message);
  process.exitCode = 2;
}

async function main([command, ...rest]: string[]) {
if (!command || command === "--help" || command === "help") {
  if (!command) fail(USAGE);
  console.log(USAGE);
  return;
}

if (command === "db:migrate") {
  const database = await openDatabase();
  await database.close();
  console.log("Base de données à jour.");
  return;
}

if (command === "db:grant") {
  let role: string | undefined;
  try {
    role = parseArgs({ args: rest, options: { role: { type: "string" } }, strict: true }).values.role;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (!role) fail(`--role est obligatoire.\n\n${USAGE}`);
  const database = await openDatabase();
  try {
    const { db } = await import("../app/db.server");
    const { grantApplicationRole } = await import("../db/grants");
    await grantApplicationRole(db(), role);
  } catch (error) {
    fail(`Droits non accordés : ${(error as Error).message}`);
  } finally {
    await database.close();
  }
  console.log(`Droits de l'application accordés au rôle ${role}.`);
  return;
}

if (command === "statistics:rebuild") {
  const database = await openDatabase();
  try {
    const { db } = await import("../app/db.server");
    const { rebuildStatistics } = await import("../app/statistics/rollups.server");
    const started = performance.now();
    await rebuildStatistics(db());
    console.log(`Statistiques recalculées en ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await database.close();
  }
  return;
}

if (command === "two-factor:reset") {
  let email: string | undefined;
  try {
    email = parseArgs({ args: rest, options: { email: { type: "string" } }, strict: true }).values.email;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (!email) fail(`--email est obligatoire.\n\n${USAGE}`);
  const database = await openDatabase();
  try {
    const { db } = await import("../app/db.server");
    const { resetTwoFactor } = await import("../app/auth/two-factor.server");
    const user = await db().selectFrom("app_user").select("id").where("email", "=", email.trim().toLowerCase()).executeTakeFirst();
    if (!user) fail(`Aucun compte pour ${email}.`);
    const had = await resetTwoFactor(db(), null, user.id);
    console.log(had ? `Double authentification retirée pour ${email}.` : `${email} n'avait pas de double authentification.`);
  } finally {
    await database.close();
  }
  return;
}

if (command !== "user:create") fail(`Commande inconnue : ${command}\n\n${USAGE}`);

let values: Record<string, string | undefined>;
try {
  values = parseArgs({
    args: rest,
    options: {
      email: { type: "string" },
      name: { type: "string" },
      role: { type: "string" },
      department: { type: "string" },
      password: { type: "string" },
    },
    strict: true,
  }).values as Record<string, string | undefined>;
} catch (error) {
  fail(`${(error as Error).message}\n\n${USAGE}`);
}
if (!values.email || !values.name || !values.role) fail(`--email, --name et --role sont obligatoires.\n\n${USAGE}`);
if (!ROLES.includes(values.role as Role)) fail(`Rôle inconnu : ${values.role} (agent, comms, manager ou admin).`);

const database = await openDatabase();
try {
  const { db } = await import("../app/db.server");
  const { createUser, userFieldsSchema } = await import("../app/organisation/users.server");
  const { createDepartment } = await import("../app/organisation/departments.server");
  const { createInvitation } = await import("../app/auth/invitations.server");
  const { PASSWORD_MIN_LENGTH } = await import("../app/auth/password.server");
  const { UserError } = await import("../app/utils/errors.server");
  const { tFor } = await import("../app/i18n/i18n");
  const t = tFor("fr");

  if (values.password !== undefined && values.password.length < PASSWORD_MIN_LENGTH) {
    fail(t("invite.tooShort", { min: PASSWORD_MIN_LENGTH }));
  }
  let departmentId: number | null = null;
  if (values.department) {
    const found = await db()
      .selectFrom("department")
      .select("id")
      .where((eb) => eb(eb.fn("lower", ["name"]), "=", values.department!.trim().toLowerCase()))
      .executeTakeFirst();
    departmentId = found ? found.id : await createDepartment(db(), null, values.department);
    if (!found) console.log(`Service créé : ${values.department}`);
  }
  const fields = userFieldsSchema.safeParse({ email: values.email, displayName: values.name, role: values.role, departmentId });
  if (!fields.success) fail(fields.error.issues.map((i) => t(i.message)).join("\n"));
  try {
    const id = await createUser(db(), null, fields.data, values.password);
    console.log(`Compte créé : ${fields.data.email} (${values.role}), id ${id}`);
    if (!values.password) console.log(`Lien pour choisir le mot de passe : ${await createInvitation(db(), null, id)}`);
  } catch (error) {
    if (error instanceof UserError) fail(t(error.key));
    throw error;
  }
} finally {
  await database.close();
}
}
