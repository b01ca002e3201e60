import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import * as page from "~/routes/contributions.$id._index";
import * as edit from "~/routes/contributions.$id.edit";
import * as create from "~/routes/contributions.new";
import { context, contributionForm, fileBlob, filesUnder, jpegBytes, newDraft, outcome, post, richDoc, run, signedIn } from "../factories";

type Person = Awaited<ReturnType<typeof signedIn>>;

const count = async (table: "contribution" | "photo") =>
  (await db().selectFrom(table).select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n;
const photo = async (seed: number): Promise<[Blob, string]> => [await fileBlob(await jpegBytes(seed, 80)), `photo-${seed}.jpg`];

function createAction(fields: Record<string, string>, photos: [Blob, string][], who: Person) {
  const form = contributionForm({ title: "Fête du quartier", body: richDoc("Des jeux dans le parc."), ...fields }, photos);
  return run(() => create.action({ request: post("/contributions/new", form, who.cookie), params: {}, context }));
}

let author: Person;
beforeAll(async () => {
  author = await signedIn("agent");
});

describe("a new contribution saved and sent in one request", () => {
  it("stores each new photo's details sent with its file, and submits", async () => {
    const result = await createAction(
      {
        intent: "submit",
        "photo.new0.alt": "Un chamboule-tout",
        "photo.new0.credit": "Léa",
        "photo.new0.rightsStatus": "authorised",
        "photo.new0.rightsScope": "external",
        "photo.new1.alt": "Un ballon rouge",
        "photo.new1.rightsStatus": "refused",
      },
      [await photo(1), await photo(2)],
      author,
    );
    expect(result).toBeInstanceOf(Response);
    const location = (result as Response).headers.get("Location")!;
    expect(location).toMatch(/^\/contributions\/\d+\?done=submitted$/);
    const id = Number(/(\d+)/.exec(location)![1]);
    const c = await db().selectFrom("contribution").select(["status", "submitted_at"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect(c.status).toBe("submitted");
    expect(c.submitted_at).not.toBeNull();
    const photos = await db().selectFrom("photo").selectAll().where("contribution_id", "=", id).orderBy("position").execute();
    expect(photos.map((p) => [p.alt_text, p.credit, p.rights_status, p.rights_scope])).toEqual([
      ["Un chamboule-tout", "Léa", "authorised", "external"],
      ["Un ballon rouge", "", "refused", null],
    ]);
    // Each photo's image rights, as chosen, are in the audit log under the author's name.
    const entries = await db()
      .selectFrom("audit_entry")
      .select(["actor_id", "subject_id", "details"])
      .where("action", "=", "photo_rights_changed")
      .where("subject_id", "in", photos.map((p) => String(p.id)))
      .orderBy("subject_id")
      .execute();
    expect(entries).toEqual([
      { actor_id: author.id, subject_id: String(photos[0].id), details: { contribution: id, from: "unknown", to: "authorised", scope: "external", until: null } },
      { actor_id: author.id, subject_id: String(photos[1].id), details: { contribution: id, from: "unknown", to: "refused", scope: null, until: null } },
    ]);
  });

  it("refuses a submission with a photo lacking its description: the message by that new photo's field, nothing stored", async () => {
    const [contributions, photos, files] = [await count("contribution"), await count("photo"), await filesUnder()];
    const result = await createAction({ intent: "submit", "photo.new0.alt": "Décrite" }, [await photo(3), await photo(4)], author);
    const { status, body } = outcome(result);
    expect(status).toBe(400);
    expect(body.errors).toEqual({
      form: ["contributions.errors.altMissing", { positions: "2", count: 1 }],
      "photo.new1.alt": "photos.errors.altRequired",
    });
    expect(await count("contribution")).toBe(contributions);
    expect(await count("photo")).toBe(photos);
    expect(await filesUnder()).toEqual(files);
  });

  it("refuses a new photo's invalid details by its field before anything is stored", async () => {
    const [contributions, files] = [await count("contribution"), await filesUnder()];
    const result = await createAction({ intent: "save", "photo.new0.rightsStatus": "authorised", "photo.new0.credit": "c".repeat(201) }, [await photo(5)], author);
    const { status, body } = outcome(result);
    expect(status).toBe(400);
    expect(body.errors).toEqual({ "photo.new0.rightsScope": "photos.errors.scopeRequired", "photo.new0.credit": "photos.errors.creditTooLong" });
    expect(await count("contribution")).toBe(contributions);
    expect(await filesUnder()).toEqual(files);
  });

  it("on the edit page, a photo added and sent in the same request gets its message as photo.new<n>", async () => {
    const id = await newDraft(author.cookie, {}, [await photo(6)]);
    const [stored] = await db().selectFrom("photo").select("id").where("contribution_id", "=", id).execute();
    const form = contributionForm(
      { title: "Titre", body: richDoc("Texte."), intent: "submit", [`photo.${stored.id}.alt`]: "Déjà là", "photo.new0.alt": "" },
      [await photo(7)],
    );
    const result = await run(() => edit.action({ request: post(`/contributions/${id}/edit`, form, author.cookie), params: { id: String(id) }, context }));
    const { status, body } = outcome(result);
    expect(status).toBe(400);
    expect(body.errors["photo.new0.alt"]).toBe("photos.errors.altRequired");
    expect(body.errors[`photo.${stored.id}.alt`]).toBeUndefined();
    expect(await db().selectFrom("photo").select("alt_text").where("contribution_id", "=", id).execute()).toEqual([{ alt_text: "" }]);
  });
});

describe("a draft takes no comment", () => {
  it("refuses a comment on a draft (409), and takes one once it is sent", async () => {
    const id = await newDraft(author.cookie);
    const comment = () => run(() => page.action({ request: post(`/contributions/${id}`, { intent: "comment", body: "Note" }, author.cookie), params: { id: String(id) }, context }));
    const refused = outcome(await comment());
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toEqual({ body: "comments.errors.draft" });
    expect((await db().selectFrom("comment").select("id").where("contribution_id", "=", id).execute()).length).toBe(0);
    await run(() => page.action({ request: post(`/contributions/${id}`, { intent: "submit" }, author.cookie), params: { id: String(id) }, context }));
    expect(outcome(await comment()).status).toBe(200);
    expect((await db().selectFrom("comment").select("id").where("contribution_id", "=", id).execute()).length).toBe(1);
  });
});
