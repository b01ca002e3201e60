import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { tFor } from "~/i18n/i18n";
import { createPublication, updatePublication } from "~/publishing/queue.server";
import { UserError } from "~/utils/errors.server";
import { context, outcome, post, run, signedIn } from "../../factories";
import { channel, publicationRow, publishable } from "./fixtures";

const fr = tFor("fr");
const TEXT = "Inscriptions au 06 12 34 56 78 ou à accueil@mairie-exemple.fr. Fête du quartier samedi.";

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return fr(error.key, error.params);
    if (error instanceof Response) return `HTTP ${error.status}`;
    throw error;
  }
  return "accepté";
}

const publications = async (contributionId: number) =>
  (await db().selectFrom("publication").select(sql<number>`count(*)::int`.as("n")).where("contribution_id", "=", contributionId).executeTakeFirstOrThrow()).n;

describe("personal data in a publication's text", () => {
  it("is refused without comms' confirmation, nothing stored, and accepted with it (recorded in the audit log)", async () => {
    const member = await signedIn("comms");
    const actor = { id: member.id, role: member.role, departmentId: member.departmentId };
    const ch = await channel(actor, { kind: "feed" });
    const c = await publishable();
    expect(await refusal(createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, text: TEXT }))).toBe(
      "Le texte contient 2 données personnelles (surlignées) : modifiez-le, ou cochez la confirmation pour les publier.",
    );
    expect(await publications(c.id)).toBe(0);
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, text: TEXT, confirmPersonalData: true });
    expect((await publicationRow(made.id)).text).toBe(TEXT);
    const entry = await db().selectFrom("audit_entry").select("details").where("action", "=", "publication_created").where("subject_id", "=", String(made.id)).executeTakeFirstOrThrow();
    expect(entry.details).toMatchObject({ personal_data_confirmed: 2 });
    // A text without any passes as before.
    const other = await publishable();
    await createPublication(db(), actor, { contributionId: other.id, channelId: ch.id, text: "Fête du quartier samedi à 14 h." });
  });

  it("is checked again when the text of a queued publication changes", async () => {
    const member = await signedIn("comms");
    const actor = { id: member.id, role: member.role, departmentId: member.departmentId };
    const ch = await channel(actor, { kind: "feed" });
    const c = await publishable();
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, text: "Fête du quartier samedi." });
    const changed = "Fête du quartier samedi. RIB : FR76 3000 6000 0112 3456 7890 189";
    expect(await refusal(updatePublication(db(), actor, made.id, { text: changed }))).toBe(
      "Le texte contient une donnée personnelle (surlignée) : modifiez-le, ou cochez la confirmation pour la publier.",
    );
    expect((await publicationRow(made.id)).text).toBe("Fête du quartier samedi.");
    await updatePublication(db(), actor, made.id, { text: changed, confirmPersonalData: true });
    expect((await publicationRow(made.id)).text).toBe(changed);
    // Unchanged, the confirmed text is not asked about again.
    await updatePublication(db(), actor, made.id, { photos: [] });
  });

  it("through the page: the message by the confirmation box, the text sent back, nothing stored; then stored once confirmed", async () => {
    const member = await signedIn("comms");
    const actor = { id: member.id, role: member.role, departmentId: member.departmentId };
    const ch = await channel(actor, { kind: "feed" });
    const c = await publishable();
    const page = await import("~/routes/publishing.new.$id");
    const send = (fields: Record<string, string>) =>
      run(() => page.action({ request: post(`/publishing/new/${c.id}`, { channel: String(ch.id), [`text-${ch.id}`]: TEXT, [`when-${ch.id}`]: "next", ...fields }, member.cookie), params: { id: String(c.id) }, context }));
    const refused = outcome(await send({}));
    expect(refused.status).toBe(400);
    expect(fr(...(refused.body.errors[`confirmPersonal-${ch.id}`] as [string, Record<string, unknown>]))).toMatch(/^Le texte contient 2 données personnelles/);
    expect(refused.body.texts[ch.id]).toBe(TEXT);
    expect(await publications(c.id)).toBe(0);
    const accepted = await send({ [`confirmPersonal-${ch.id}`]: "on" });
    expect(outcome(accepted).status).toBe(302);
    expect(await publications(c.id)).toBe(1);
  });

  it("through the publication's page: a new text with personal data needs the confirmation too", async () => {
    const member = await signedIn("comms");
    const actor = { id: member.id, role: member.role, departmentId: member.departmentId };
    const ch = await channel(actor, { kind: "feed" });
    const c = await publishable();
    const made = await createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, text: "Fête du quartier samedi." });
    const page = await import("~/routes/publishing.$id");
    const send = (fields: Record<string, string>) =>
      run(() => page.action({ request: post(`/publishing/${made.id}`, { intent: "text", text: TEXT, ...fields }, member.cookie), params: { id: String(made.id) }, context }));
    const refused = outcome(await send({}));
    expect(refused.status).toBe(400);
    expect(fr(...(refused.body.errors.confirmPersonalData as [string, Record<string, unknown>]))).toMatch(/^Le texte contient 2 données personnelles/);
    expect((await publicationRow(made.id)).text).toBe("Fête du quartier samedi.");
    expect(outcome(await send({ confirmPersonalData: "on" })).status).toBe(200);
    expect((await publicationRow(made.id)).text).toBe(TEXT);
  });

  it("a contribution marked 'interne uniquement' is never queued, whatever the page is sent", async () => {
    const member = await signedIn("comms");
    const actor = { id: member.id, role: member.role, departmentId: member.departmentId };
    const ch = await channel(actor, { kind: "feed" });
    const c = await publishable();
    await db().updateTable("contribution").set({ external_eligible: false }).where("id", "=", c.id).execute();
    const page = await import("~/routes/publishing.new.$id");
    const result = outcome(
      await run(() => page.action({ request: post(`/publishing/new/${c.id}`, { channel: String(ch.id), [`text-${ch.id}`]: "Fête.", [`when-${ch.id}`]: "next" }, member.cookie), params: { id: String(c.id) }, context })),
    );
    expect(result.status).toBe(400);
    expect(await refusal(createPublication(db(), actor, { contributionId: c.id, channelId: ch.id, confirmPersonalData: true }))).toBe(fr("publishing.errors.internalOnly"));
    expect(await publications(c.id)).toBe(0);
  });
});
