import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { personal } from "../../../db/personal-data";
import { createInvitation } from "~/auth/invitations.server";
import { addComment, thank } from "~/contributions/comments.server";
import { submitContribution } from "~/contributions/contributions.server";
import { addEvent } from "~/contributions/history.server";
import { db } from "~/db.server";
import { closeAccount } from "~/privacy/erasure.server";
import { buildExport, requestExport } from "~/privacy/export.server";
import { createPublication } from "~/publishing/queue.server";
import * as closePage from "~/routes/admin.users_.$id.close";
import { context, filesUnder, get, jpegBytes, makeDepartment, makeUser, newDraft, outcome, photoFileKeys, post, queuedJobs, run, signedIn } from "../../factories";
import { channel, comms, publishable } from "../publishing/fixtures";

const asActor = (u: { id: string; role: "agent" | "comms" | "manager" | "admin"; departmentId: number | null }) => ({ id: u.id, role: u.role, departmentId: u.departmentId });

/** An agent with a name and an address found nowhere else, and everything an account can leave behind. */
async function seedAccount() {
  const tag = randomBytes(3).toString("hex");
  const name = `Zéphirine Quellec${tag}`;
  const email = `zephirine.quellec${tag}@example.org`;
  const kept = await publishable({ photos: 1, departmentName: `Musée ${tag}` });
  const person = kept.author;
  await db().updateTable("app_user").set({ display_name: name, email }).where("id", "=", person.id).execute();
  const agent = asActor(person);
  const { actor: commsActor } = await comms();
  const colleague = await signedIn("agent", kept.departmentId);

  const photo = async (seed: number): Promise<[Blob, string][]> => [[new Blob([new Uint8Array(await jpegBytes(seed, 200))], { type: "image/jpeg" }), `p${seed}.jpg`]];
  const draft = await newDraft(person.cookie, { title: "Brouillon" }, await photo(30 + Math.floor(Math.random() * 50)));
  const submitted = await newDraft(person.cookie, { title: "Envoyée" }, await photo(90 + Math.floor(Math.random() * 50)));
  await db().updateTable("photo").set({ alt_text: "Une salle" }).where("contribution_id", "=", submitted).execute();
  await submitContribution(db(), agent, submitted);

  // Their name inside kept work: the text, a photo credit, a history snapshot, a review comment.
  await db().updateTable("contribution").set({ body_text: `Reportage de ${name}.` }).where("id", "=", kept.id).execute();
  await db().updateTable("photo").set({ credit: `Photo : ${name}` }).where("contribution_id", "=", kept.id).execute();
  await db().transaction().execute((trx) =>
    addEvent(trx, { contributionId: kept.id, actorId: commsActor.id, kind: "edited", message: `Merci ${name} (${email})`, data: { before: { author: name, contact: email } } }),
  );

  // Their own comment on a colleague's work (which notifies the colleague, naming them as actor),
  // a colleague's comment naming them on theirs (which notifies them), a thanks given.
  const other = await publishable({ photos: 0 });
  await addComment(db(), agent, other.id, "Très beau travail !");
  await thank(db(), agent, other.id);
  await addComment(db(), asActor(colleague), kept.id, `Bravo ${name} !`);

  // A queued post crediting them, and one that went out.
  const ch = await channel(commsActor, { kind: "feed" });
  const queued = await createPublication(db(), commsActor, { contributionId: kept.id, channelId: ch.id });
  const ch2 = await channel(commsActor, { kind: "feed" });
  const out = await createPublication(db(), commsActor, { contributionId: kept.id, channelId: ch2.id });
  await db().updateTable("publication").set({ state: "published", published_at: new Date() }).where("id", "=", out.id).execute();

  // An export of their data, built.
  const exportId = await requestExport(db(), agent, person.id);
  await buildExport(db(), exportId);
  const exportKey = (await db().selectFrom("data_export").select("file_key").where("id", "=", exportId).executeTakeFirstOrThrow()).file_key!;

  const gonePhotos = await db().selectFrom("photo").select(["id", "master_key"]).where("contribution_id", "in", [draft, submitted]).execute();
  const keptPhotos = await db().selectFrom("photo").select(["id", "master_key"]).where("contribution_id", "=", kept.id).execute();
  return {
    person, name, email, kept, draft, submitted, other, queued, out, exportKey,
    goneFiles: (await Promise.all(gonePhotos.map(photoFileKeys))).flat(),
    keptFiles: (await Promise.all(keptPhotos.map(photoFileKeys))).flat(),
  };
}

/** Every column the register lists as personal, with the rows that still hold one of `needles`. */
async function personalColumnsHolding(needles: string[]): Promise<string[]> {
  const { rows: types } = await sql<{ name: string; data_type: string }>`
    SELECT table_name || '.' || column_name AS name, data_type FROM information_schema.columns WHERE table_schema = 'public'`.execute(db());
  const typeOf = new Map(types.map((t) => [t.name, t.data_type]));
  const found: string[] = [];
  let walked = 0;
  for (const [table, columns] of Object.entries(personal)) {
    for (const column of Object.keys(columns)) {
      const type = typeOf.get(`${table}.${column}`);
      if (!type) continue;
      walked++;
      const t = sql.table(table);
      const c = sql.ref(column);
      for (const needle of needles) {
        const holds =
          type === "tsvector"
            ? sql<boolean>`${c} @@ plainto_tsquery('relais_french', ${needle})`
            : sql<boolean>`${c}::text ILIKE ${`%${needle.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`}`;
        const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${t} WHERE ${holds}`.execute(db());
        if (rows[0].n > 0) found.push(`${table}.${column} (${rows[0].n}): ${needle}`);
      }
    }
  }
  expect(walked).toBeGreaterThan(50);
  return found;
}

describe("closing an account (erasure)", () => {
  it("deletes what is theirs, keeps approved work as 'Ancien agent', and leaves their name and e-mail in no personal column", async () => {
    const s = await seedAccount();
    const admin = await signedIn("admin", null);
    // Before: the walk finds them (it can fail).
    expect((await personalColumnsHolding([s.name, s.email])).length).toBeGreaterThan(5);
    const before = await filesUnder();
    for (const key of [...s.goneFiles, ...s.keptFiles, s.exportKey]) expect(before).toContain(key);

    const result = await run(() => closePage.action({ request: post(`/admin/users/${s.person.id}/close`, { confirm: "on" }, admin.cookie), params: { id: s.person.id }, context }));
    expect(result).toBeInstanceOf(Response);
    expect((result as Response).status).toBe(302);

    expect(await personalColumnsHolding([s.name, s.email])).toEqual([]);

    const account = await db().selectFrom("app_user").selectAll().where("id", "=", s.person.id).executeTakeFirstOrThrow();
    expect(account).toMatchObject({ display_name: "Ancien agent", active: false, password_hash: null, credit_opt_out: true });
    expect(account.email).toMatch(/@compte-ferme\.invalid$/);
    expect(account.closed_at).toBeInstanceOf(Date);

    const left = await db().selectFrom("contribution").select(["id", "author_id", "body_text"]).where("id", "in", [s.kept.id, s.draft, s.submitted]).execute();
    expect(left).toEqual([{ id: s.kept.id, author_id: s.person.id, body_text: "Reportage de Ancien agent." }]);
    expect(await db().selectFrom("comment").select("body").where("contribution_id", "=", s.other.id).execute()).toEqual([]);
    expect(await db().selectFrom("notification").select("id").where("user_id", "=", s.person.id).execute()).toEqual([]);
    expect(await db().selectFrom("user_session").select("id").where("user_id", "=", s.person.id).execute()).toEqual([]);
    expect(await db().selectFrom("data_export").select("id").where("user_id", "=", s.person.id).execute()).toEqual([]);

    const queued = await db().selectFrom("publication").select("text").where("id", "=", s.queued.id).executeTakeFirstOrThrow();
    expect(queued.text).toContain(`Contribution du service ${s.kept.departmentName}`);

    const after = await filesUnder();
    for (const key of [...s.goneFiles, s.exportKey]) expect(after).not.toContain(key);
    for (const key of s.keptFiles) expect(after).toContain(key);

    const entry = await db().selectFrom("audit_entry").select(["actor_id", "details"]).where("action", "=", "account_closed").where("subject_id", "=", s.person.id).executeTakeFirstOrThrow();
    expect(entry).toEqual({ actor_id: admin.id, details: { contributions_deleted: 2, photos_deleted: 2 } });
  });

  it("takes back an invitation mail still waiting to go out, and only that person's", async () => {
    const admin = await signedIn("admin", null);
    const department = await makeDepartment();
    const invited = await makeUser("agent", department);
    const other = await makeUser("agent", department);
    await createInvitation(db(), asActor(admin), invited.id);
    await createInvitation(db(), asActor(admin), invited.id); // a second one replaces the first mail
    await createInvitation(db(), asActor(admin), other.id);
    const waitingTo = async () => (await queuedJobs<{ to: string }>("send_email")).map((m) => m.to).filter((to) => to === invited.email || to === other.email);
    expect((await waitingTo()).sort()).toEqual([invited.email, other.email].sort());

    await closeAccount(db(), asActor(admin), invited.id);
    expect(await waitingTo()).toEqual([other.email]);
  });

  it("is for admins only (403), never of oneself (400), and a closed or unknown account is a 404", async () => {
    const agent = await signedIn("agent");
    const target = await signedIn("agent");
    for (const role of ["agent", "comms", "manager"] as const) {
      const someone = await signedIn(role);
      const page = await run(() => closePage.loader({ request: get(`/admin/users/${target.id}/close`, someone.cookie), params: { id: target.id }, context }));
      expect((page as Response).status).toBe(403);
      const done = await run(() => closePage.action({ request: post(`/admin/users/${target.id}/close`, { confirm: "on" }, someone.cookie), params: { id: target.id }, context }));
      expect((done as Response).status).toBe(403);
    }
    expect((await db().selectFrom("app_user").select("closed_at").where("id", "=", target.id).executeTakeFirstOrThrow()).closed_at).toBeNull();

    const admin = await signedIn("admin", null);
    const self = await run(() => closePage.action({ request: post(`/admin/users/${admin.id}/close`, { confirm: "on" }, admin.cookie), params: { id: admin.id }, context }));
    expect(outcome(self).status).toBe(400);
    // Without the confirmation box ticked, nothing happens.
    const unconfirmed = await run(() => closePage.action({ request: post(`/admin/users/${agent.id}/close`, {}, admin.cookie), params: { id: agent.id }, context }));
    expect(outcome(unconfirmed).status).toBe(400);
    expect((await db().selectFrom("app_user").select("active").where("id", "=", agent.id).executeTakeFirstOrThrow()).active).toBe(true);

    await closeAccount(db(), asActor(admin), agent.id);
    const again = await run(() => closePage.loader({ request: get(`/admin/users/${agent.id}/close`, admin.cookie), params: { id: agent.id }, context }));
    expect((again as Response).status).toBe(404);
    const unknown = await run(() => closePage.action({ request: post(`/admin/users/nobody/close`, { confirm: "on" }, admin.cookie), params: { id: "nobody" }, context }));
    expect((unknown as Response).status).toBe(404);
  });

  it("asks the admin's password again when this session last checked it over 15 minutes ago", async () => {
    const agent = await signedIn("agent");
    const admin = await signedIn("admin", null);
    await db().updateTable("user_session").set({ password_checked_at: new Date(Date.now() - 16 * 60_000) }).where("user_id", "=", admin.id).execute();
    const path = `/admin/users/${agent.id}/close`;
    const result = await run(() => closePage.action({ request: post(path, { confirm: "on" }, admin.cookie), params: { id: agent.id }, context }));
    expect((result as Response).headers.get("Location")).toBe(`/confirm-password?redirectTo=${encodeURIComponent(path)}`);
    expect((await db().selectFrom("app_user").select("closed_at").where("id", "=", agent.id).executeTakeFirstOrThrow()).closed_at).toBeNull();
  });

  it("shows the admin what will be deleted and what stays before they confirm", async () => {
    const kept = await publishable({ photos: 1 });
    await newDraft(kept.author.cookie, { title: "Brouillon" });
    const admin = await signedIn("admin", null);
    const page = outcome(await run(() => closePage.loader({ request: get(`/admin/users/${kept.author.id}/close`, admin.cookie), params: { id: kept.author.id }, context })));
    expect(page.status).toBe(200);
    expect(page.body.preview).toMatchObject({ contributionsDeleted: 1, contributionsKept: 1, photosDeleted: 0, commentsDeleted: 0 });
  });
});
