import fs from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import type { Role } from "../db/schema";
import { createContribution, submitContribution } from "../app/contributions/contributions.server";
import { refreshTagUsage } from "../app/contributions/tags.server";
import { db } from "../app/db.server";
import { ingestPhotos } from "../app/photos/photos.server";
import { tmpDir } from "../app/photos/storage.server";
import { decide } from "../app/review/review.server";
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
    const users = await db().transaction().execute(async (trx) => {
      const ids = new Map<string, number>();
      const users = new Map<string, { id: string; role: Role; departmentId: number | null }>();
      for (const name of DEPARTMENTS) ids.set(name, await createDepartment(trx, null, name));
      for (const a of DEMO_ACCOUNTS) {
        const departmentId = a.department ? ids.get(a.department)! : null;
        const id = await createUser(trx, null, { email: a.email, displayName: a.name, role: a.role, departmentId, locale: "fr" }, DEMO_PASSWORD);
        users.set(a.email, { id, role: a.role, departmentId });
      }
      return users;
    });
    await seedContributions(users);
    await refreshTagUsage(db()); // the tag suggestions, without waiting for the hourly job
  }
  const width = Math.max(...DEMO_ACCOUNTS.map((a) => a.email.length));
  return [
    "",
    `Comptes de démonstration (mot de passe : ${DEMO_PASSWORD}) :`,
    ...DEMO_ACCOUNTS.map((a) => `  ${a.email.padEnd(width)}  ${a.role.padEnd(7)} ${a.department ?? "(toute l'organisation)"}`),
    "",
  ].join("\n");
}

const doc = (...paragraphs: string[]) =>
  JSON.stringify({ type: "doc", content: paragraphs.map((text) => ({ type: "paragraph", content: [{ type: "text", text }] })) });

/** A generated picture (soft colour gradient with noise), so the demo needs no photo files. */
async function demoPhoto(hue: number): Promise<{ path: string; size: number }> {
  const width = 1200;
  const height = 800;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const noise = ((x * 7919 + y * 104729) % 23) - 11;
      pixels[i] = Math.min(255, Math.max(0, ((hue * 3 + x / 6) % 255) + noise));
      pixels[i + 1] = Math.min(255, Math.max(0, 90 + y / 8 + noise));
      pixels[i + 2] = Math.min(255, Math.max(0, ((hue + 160 - x / 10 + y / 10) % 255) + noise));
    }
  }
  await fs.mkdir(tmpDir(), { recursive: true });
  const file = path.join(tmpDir(), `demo-${hue}-${process.pid}.jpg`);
  await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toFile(file);
  return { path: file, size: (await fs.stat(file)).size };
}

type DemoUser = { id: string; role: Role; departmentId: number | null };

/** A few contributions in different states, so that every role has something to look at. */
async function seedContributions(users: Map<string, DemoUser>) {
  const agent = users.get("agent@demo.relais")!;
  const sports = users.get("agent.sports@demo.relais")!;
  const comms = users.get("comms@demo.relais")!;
  const photos = async (...hues: number[]) => ingestPhotos(db(), await Promise.all(hues.map(demoPhoto)));
  const describe = async (id: number, alts: string[]) => {
    const rows = await db().selectFrom("photo").select("id").where("contribution_id", "=", id).orderBy("position").execute();
    for (const [i, row] of rows.entries()) {
      await db().updateTable("photo").set({ alt_text: alts[i], credit: "Service communication", rights_status: "no_person" }).where("id", "=", row.id).execute();
    }
  };
  const approve = async (id: number, visibility: "department" | "organisation") => {
    const { version } = await db().selectFrom("contribution").select("version").where("id", "=", id).executeTakeFirstOrThrow();
    await decide(db(), comms, id, { decision: "approve", version, visibility, externalEligible: visibility === "organisation" });
  };

  const nuit = await createContribution(
    db(),
    agent,
    {
      title: "Nuit de la lecture : retour en images",
      body: doc("Plus de 300 visiteurs sont venus samedi soir pour les lectures à voix haute et le concert de clôture.", "Merci aux bénévoles du club lecture !"),
      tags: ["lecture", "événement"],
      eventDate: "2026-01-24",
      place: "Médiathèque centrale",
      visibilityWish: "organisation",
      proposeExternal: true,
    },
    await photos(20, 120),
  );
  await describe(nuit, ["La salle de lecture décorée pour la soirée", "Le coin jeunesse éclairé aux lampions"]);
  await submitContribution(db(), agent, nuit);
  await approve(nuit, "organisation");

  const atelier = await createContribution(db(), agent, {
    title: "Nouveau créneau pour l'atelier numérique",
    body: doc("L'atelier d'aide aux démarches en ligne ouvre aussi le mercredi matin, de 10 h à 12 h."),
    tags: ["numérique"],
    visibilityWish: "department",
    proposeExternal: false,
  });
  await submitContribution(db(), agent, atelier);
  await approve(atelier, "department");

  const basket = await createContribution(
    db(),
    sports,
    {
      title: "Tournoi de basket inter-quartiers",
      body: doc("Huit équipes de jeunes se sont affrontées au gymnase Jean-Moulin. Finale très serrée !"),
      tags: ["sport", "jeunesse"],
      place: "Gymnase Jean-Moulin",
      visibilityWish: "organisation",
      proposeExternal: true,
    },
    await photos(200),
  );
  await describe(basket, ["Le gymnase pendant la finale"]);
  await submitContribution(db(), sports, basket);

  await createContribution(db(), agent, {
    title: "Exposition de printemps (brouillon)",
    body: doc("Idées pour l'exposition : photos anciennes du quartier, prêt des archives municipales."),
    tags: ["exposition"],
    visibilityWish: "department",
    proposeExternal: false,
  });
}
