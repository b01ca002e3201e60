import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Role } from "../db/schema";
import { createContribution, submitContribution } from "../app/contributions/contributions.server";
import type { PhotoFields } from "../app/contributions/schema";
import { refreshTagUsage } from "../app/contributions/tags.server";
import { rebuildStatistics } from "../app/statistics/rollups.server";
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
    await rebuildStatistics(db()); // the statistics, without waiting for the minute job
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

/**
 * Real camera photos kept in the repository for the tests (their source and licence:
 * tests/fixtures/photos/README.md), so that a newcomer sees the photo pipeline at work: the
 * waterfall comes out upright from its EXIF orientation, the others lose their GPS position.
 */
const FIXTURES = fileURLToPath(new URL("../tests/fixtures/photos/", import.meta.url));
const CREDIT = "Collection exif-samples (CC BY-SA 4.0)";

/** A copy of a fixture in the uploads' temporary folder, as an upload would be: the pipeline removes it. */
async function upload(name: string): Promise<{ path: string; size: number }> {
  await fs.mkdir(tmpDir(), { recursive: true });
  const file = path.join(tmpDir(), `demo-${process.pid}-${name}`);
  await fs.copyFile(path.join(FIXTURES, name), file);
  return { path: file, size: (await fs.stat(file)).size };
}

/** Alt text and credit of a demo photo; no identifiable person in any of them. */
const described = (alt: string): PhotoFields => ({ alt, credit: CREDIT, rightsStatus: "no_person", rightsScope: null, rightsExpiresOn: null });

type DemoUser = { id: string; role: Role; departmentId: number | null };

/** A few contributions in different states, so that every role has something to look at. */
async function seedContributions(users: Map<string, DemoUser>) {
  const agent = users.get("agent@demo.relais")!;
  const sports = users.get("agent.sports@demo.relais")!;
  const comms = users.get("comms@demo.relais")!;
  const photos = async (...names: string[]) => ingestPhotos(db(), await Promise.all(names.map(upload)));
  const approve = async (id: number, visibility: "department" | "organisation") => {
    const { version } = await db().selectFrom("contribution").select("version").where("id", "=", id).executeTakeFirstOrThrow();
    await decide(db(), comms, id, { decision: "approve", version, visibility, externalEligible: visibility === "organisation" });
  };

  const nuit = await createContribution(
    db(),
    agent,
    {
      title: "Lectures en plein air : retour en images",
      body: doc(
        "Cet été, les lectures à voix haute ont quitté la médiathèque : au parc municipal, puis au domaine du coteau. Plus de 300 auditeurs en tout !",
        "Merci aux bénévoles du club lecture !",
      ),
      tags: ["lecture", "événement"],
      eventDate: "2026-07-12",
      place: "Parc municipal",
      visibilityWish: "organisation",
      proposeExternal: true,
    },
    await photos("gps-DSCN0021.jpg", "gps-DSCN0010.jpg"),
    {
      photoFields: [
        described("Une allée du parc municipal : un banc sous un grand pin, une statue blanche sur son socle au fond"),
        described("Une maison de pierre au milieu des vignes et des pins, sur le coteau"),
      ],
    },
  );
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

  const hike = await createContribution(
    db(),
    sports,
    {
      title: "Randonnée du club : la cascade",
      body: doc("Douze kilomètres de sentier pour la sortie de printemps du club de randonnée, avec une pause bien méritée au pied de la cascade."),
      tags: ["sport", "nature"],
      place: "Sentier des cascades",
      visibilityWish: "organisation",
      proposeExternal: true,
    },
    // Taken in landscape with "rotate 90°" in its EXIF, and words written on it to check the result.
    await photos("orientation-portrait_6.jpg"),
    { photoFields: [described("Une cascade tombe dans un bassin entouré de forêt ; une photo de test, avec « top », « bottom », « left », « right » et 6 écrits dessus")] },
  );
  await submitContribution(db(), sports, hike);

  await createContribution(
    db(),
    agent,
    {
      title: "Exposition « Animaux des tropiques » (brouillon)",
      body: doc("Idées pour l'exposition : photos prêtées par le vivarium, atelier dessin pour les enfants."),
      tags: ["exposition"],
      visibilityWish: "department",
      proposeExternal: false,
    },
    await photos("Canon_40D.jpg"),
    { photoFields: [described("La tête d'un iguane vert, de profil")] },
  );
}
