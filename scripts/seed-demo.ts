import type { Role } from "../db/schema";
import { db } from "../app/db.server";
import { createDepartment } from "../app/organisation/departments.server";
import { createUser } from "../app/organisation/users.server";

export const DEMO_PASSWORD = "relais-demo-2026";

export const DEMO_ACCOUNTS: { email: string; name: string; role: Role; department: string | null }[] = [
  { email: "agent@demo.relais", name: "Camille Martin", role: "agent", department: "Médiathèque" },
  { email: "agent.sports@demo.relais", name: "Yanis Benali", role: "agent", department: "Sports" },
  { email: "comms@demo.relais", name: "Léa Dubois", role: "comms", department: "Communication" },
  { email: "manager@demo.relais", name: "Hugo Lefèvre", role: "manager", department: "Médiathèque" },
  { email: "admin@demo.relais", name: "Inès Moreau", role: "admin", department: null },
];
const DEPARTMENTS = ["Médiathèque", "Sports", "Culture", "Communication"];

/**
 * Seeds the demo organisation on first run (an empty database) and returns the text listing the
 * demo logins. Later runs keep the data as it is.
 */
export async function seedDemo(): Promise<string> {
  const any = await db().selectFrom("app_user").select("id").limit(1).executeTakeFirst();
  if (!any) {
    await db().transaction().execute(async (trx) => {
      const ids = new Map<string, number>();
      for (const name of DEPARTMENTS) ids.set(name, await createDepartment(trx, name));
      for (const a of DEMO_ACCOUNTS) {
        await createUser(
          trx,
          { email: a.email, displayName: a.name, role: a.role, departmentId: a.department ? ids.get(a.department)! : null, locale: "fr" },
          DEMO_PASSWORD,
        );
      }
    });
  }
  const width = Math.max(...DEMO_ACCOUNTS.map((a) => a.email.length));
  return [
    "",
    `Comptes de démonstration (mot de passe : ${DEMO_PASSWORD}) :`,
    ...DEMO_ACCOUNTS.map((a) => `  ${a.email.padEnd(width)}  ${a.role.padEnd(7)} ${a.department ?? "(toute l'organisation)"}`),
    "",
  ].join("\n");
}
