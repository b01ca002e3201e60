import { beforeAll, describe, expect, it } from "vitest";
import { popularTags, refreshTagUsage } from "~/contributions/tags.server";
import { db } from "~/db.server";
import * as page from "~/routes/contributions.$id._index";
import * as edit from "~/routes/contributions.$id.edit";
import * as search from "~/routes/search";
import { approveDirectly, context, contributionForm, get, makeDepartment, newDraft, outcome, post, richDoc, run, signedIn } from "../factories";
import { unpack } from "~/utils/packed";

type Person = Awaited<ReturnType<typeof signedIn>>;
type Item = { id: number; title: string; status: string; excerpt: { text: string; hit: boolean }[]; titleParts: { text: string; hit: boolean }[] };

let deptA: number;
let deptB: number;
let author: Person;
let colleague: Person;
let outsider: Person;
let comms: Person;
const c: Record<string, number> = {};

async function write(who: Person, key: string, fields: { title: string; body: string; tags?: string; place?: string }, visibility: "department" | "organisation" | null = "organisation") {
  c[key] = await newDraft(who.cookie, { title: fields.title, body: richDoc(fields.body), tags: fields.tags ?? "", place: fields.place ?? "" });
  if (visibility) await approveDirectly(c[key], visibility);
  return c[key];
}

async function find(who: Person, query: string): Promise<Item[]> {
  const { status, body } = outcome(await run(() => search.loader({ request: get(`/search?${query}`, who.cookie), params: {}, context })));
  expect(status).toBe(200);
  return unpack<Item[]>(body.items);
}
const idsOf = (items: Item[]) => items.map((i) => Number(i.id)).sort((a, b) => a - b);
const ids = (...keys: string[]) => keys.map((k) => c[k]).sort((a, b) => a - b);
const q = (text: string) => `q=${encodeURIComponent(text)}`;

beforeAll(async () => {
  deptA = await makeDepartment("Culture");
  deptB = await makeDepartment("Sports");
  author = await signedIn("agent", deptA);
  colleague = await signedIn("agent", deptA);
  outsider = await signedIn("agent", deptB);
  comms = await signedIn("comms");

  await write(author, "summer", { title: "Une journée d'été au parc", body: "Il faisait très chaud cet été, les familles sont venues nombreuses." });
  await write(author, "party", { title: "Retour sur la soirée", body: "La fête des voisins a réuni tout le quartier." });
  await write(author, "titleOnly", { title: "Kermesse de l'école", body: "Des stands et des jeux pour les enfants." });
  await write(author, "bodyOnly", { title: "Concert", body: "Un accordéoniste a joué toute la soirée." });
  await write(author, "tagOnly", { title: "Sortie", body: "Une sortie en forêt avec le groupe.", tags: "randonnée, Nature" });
  await write(author, "placeOnly", { title: "Lecture publique", body: "Des contes pour les petits.", place: "Salle Aragon" });
  await write(outsider, "sportsWorkshop", { title: "Atelier natation", body: "Un atelier pour apprendre à nager." });
  await write(author, "cultureWorkshop", { title: "Atelier dessin", body: "Un atelier pour apprendre à dessiner.", tags: "atelier" }, "department");
  await write(author, "html", { title: "Titre <em>piégé</em> bonbon", body: "Attention <b>gras</b> et <script>alert(1)</script> au festival de musique." });

  // Not approved: only some people may find them.
  await write(colleague, "colleagueDraft", { title: "Brouillon secret", body: "Un projet de carnaval encore secret." }, null);
  await write(author, "ownDraft", { title: "Mon brouillon", body: "Un carnaval en préparation." }, null);
  await write(author, "submitted", { title: "En relecture", body: "Le carnaval approche." }, null);
  await db().updateTable("contribution").set({ status: "submitted", submitted_at: new Date() }).where("id", "=", c.submitted).execute();
});

describe("French full-text search", () => {
  it("ignores accents: 'ete' finds 'été', and highlights the word as written", async () => {
    const items = await find(colleague, q("ete"));
    expect(idsOf(items)).toEqual(ids("summer"));
    const hits = items[0].excerpt.filter((p) => p.hit).map((p) => p.text);
    expect(hits).toContain("été");
    expect(items[0].titleParts.filter((p) => p.hit).map((p) => p.text)).toEqual(["été"]);
    // The parts put back together are the text itself.
    expect(items[0].excerpt.map((p) => p.text).join("")).toContain("chaud cet été, les familles");
  });

  it("stems French words: 'fetes' finds 'fête', 'journees' finds 'journée'", async () => {
    const party = await find(colleague, q("fetes"));
    expect(idsOf(party)).toEqual(ids("party"));
    expect(party[0].excerpt.filter((p) => p.hit).map((p) => p.text)).toEqual(["fête"]);
    expect(idsOf(await find(colleague, q("journees")))).toEqual(ids("summer"));
    expect(idsOf(await find(colleague, q("ÉTÉ")))).toEqual(ids("summer"));
  });

  it("searches the title, the body, the tags and the place", async () => {
    expect(idsOf(await find(colleague, q("kermesse")))).toEqual(ids("titleOnly"));
    expect(idsOf(await find(colleague, q("accordeoniste")))).toEqual(ids("bodyOnly"));
    expect(idsOf(await find(colleague, q("randonnee")))).toEqual(ids("tagOnly"));
    expect(idsOf(await find(colleague, q("aragon")))).toEqual(ids("placeOnly"));
  });

  it("combines words (all must match) and survives odd input", async () => {
    expect(idsOf(await find(colleague, q("atelier dessin")))).toEqual(ids("cultureWorkshop"));
    expect(idsOf(await find(colleague, q("atelier -dessin")))).toEqual(ids("sportsWorkshop"));
    for (const odd of ["' OR 1=1 --", "été & | ! (", "\\", "<script>", "x".repeat(200), "\0"]) {
      await find(colleague, q(odd));
    }
    expect(await find(colleague, q("zzzzinconnu"))).toEqual([]);
  });

  it("shows HTML typed in a contribution as text, never as markup", async () => {
    const [item] = await find(colleague, q("festival"));
    expect(Number(item.id)).toBe(c.html);
    const text = item.excerpt.map((p) => p.text).join("");
    expect(text).toContain("<b>gras</b>");
    expect(text).toContain("<script>alert(1)</script>");
    expect(text).not.toContain("&lt;");
    expect(item.excerpt.find((p) => p.hit)?.text).toBe("festival");
    // Every part is a slice of the stored plain text: nothing added, nothing interpreted.
    const stored = (await db().selectFrom("contribution").select("body_text").where("id", "=", c.html).executeTakeFirstOrThrow()).body_text;
    for (const part of item.excerpt) expect(stored).toContain(part.text.replace(/^ … |…$/g, ""));
    expect(Object.keys(item.excerpt[0]).sort()).toEqual(["hit", "text"]);
  });

  it("shows HTML typed in a title as text too", async () => {
    const [titled] = await find(colleague, q("bonbon"));
    expect(titled.titleParts.map((p) => p.text).join("")).toBe("Titre <em>piégé</em> bonbon");
    expect(titled.titleParts.find((p) => p.hit)?.text).toBe("bonbon");
  });
});

describe("filters", () => {
  it("by department", async () => {
    expect(idsOf(await find(comms, `${q("atelier")}&department=${deptA}`))).toEqual(ids("cultureWorkshop"));
    expect(idsOf(await find(comms, `${q("atelier")}&department=${deptB}`))).toEqual(ids("sportsWorkshop"));
    expect(idsOf(await find(comms, q("atelier")))).toEqual(ids("cultureWorkshop", "sportsWorkshop"));
  });

  it("by tag", async () => {
    expect(idsOf(await find(colleague, "tag=randonnée"))).toEqual(ids("tagOnly"));
    expect(idsOf(await find(colleague, `${q("atelier")}&tag=atelier`))).toEqual(ids("cultureWorkshop"));
    expect(idsOf(await find(colleague, "tag=inexistant"))).toEqual([]);
  });

  it("by date of the last change, both bounds included", async () => {
    const dept = await makeDepartment();
    const writer = await signedIn("agent", dept);
    const old = await newDraft(writer.cookie, { title: "Ancienne", body: richDoc("Brocante de janvier") });
    const recent = await newDraft(writer.cookie, { title: "Récente", body: richDoc("Brocante de juin") });
    for (const id of [old, recent]) await approveDirectly(id, "department");
    await db().updateTable("contribution").set({ updated_at: new Date("2026-01-10T12:00:00Z") }).where("id", "=", old).execute();
    await db().updateTable("contribution").set({ updated_at: new Date("2026-06-15T12:00:00Z") }).where("id", "=", recent).execute();
    const sorted = (...list: number[]) => list.sort((a, b) => a - b);
    expect(idsOf(await find(writer, `${q("brocante")}&from=2026-06-01`))).toEqual([recent]);
    expect(idsOf(await find(writer, `${q("brocante")}&to=2026-01-31`))).toEqual([old]);
    expect(idsOf(await find(writer, `${q("brocante")}&from=2026-01-10&to=2026-01-10`))).toEqual([old]);
    expect(idsOf(await find(writer, `${q("brocante")}&from=2026-01-11&to=2026-06-14`))).toEqual([]);
    expect(idsOf(await find(writer, `${q("brocante")}&from=2026-01-01&to=2026-12-31`))).toEqual(sorted(old, recent));
    expect(idsOf(await find(writer, `department=${dept}&from=2026-06-15`))).toEqual([recent]);
  });

  it("by date as the organisation counts days (Europe/Paris), like the dates shown", async () => {
    const dept = await makeDepartment();
    const writer = await signedIn("agent", dept);
    const id = await newDraft(writer.cookie, { title: "Nocturne", body: richDoc("Veillée aux flambeaux") });
    await approveDirectly(id, "department");
    // 23:30 UTC on 13 March is 00:30 on 14 March in Paris.
    await db().updateTable("contribution").set({ updated_at: new Date("2026-03-13T23:30:00Z") }).where("id", "=", id).execute();
    expect(idsOf(await find(writer, `${q("flambeaux")}&from=2026-03-14&to=2026-03-14`))).toEqual([id]);
    expect(idsOf(await find(writer, `${q("flambeaux")}&to=2026-03-13`))).toEqual([]);
  });

  it("by status, among what the viewer may see", async () => {
    expect(idsOf(await find(comms, `${q("carnaval")}&status=submitted`))).toEqual(ids("submitted"));
    expect(idsOf(await find(author, `${q("carnaval")}&status=draft`))).toEqual(ids("ownDraft"));
    expect(idsOf(await find(comms, `${q("carnaval")}&status=draft`))).toEqual([]);
    expect(idsOf(await find(colleague, `${q("carnaval")}&status=submitted`))).toEqual([]);
    const approved = await find(colleague, `status=approved&department=${deptA}`);
    expect(approved.every((i) => i.status === "approved")).toBe(true);
    expect(idsOf(approved)).toEqual(ids("summer", "party", "titleOnly", "bodyOnly", "tagOnly", "placeOnly", "cultureWorkshop", "html"));
  });
});

describe("results only among what the viewer may see", () => {
  it("never shows someone else's draft, and shows items in review to their author and comms only", async () => {
    expect(idsOf(await find(colleague, q("carnaval")))).toEqual(ids("colleagueDraft"));
    expect(idsOf(await find(author, q("carnaval")))).toEqual(ids("ownDraft", "submitted"));
    expect(idsOf(await find(comms, q("carnaval")))).toEqual(ids("submitted"));
    expect(idsOf(await find(outsider, q("carnaval")))).toEqual([]);
    const admin = await signedIn("admin", null);
    expect(idsOf(await find(admin, q("carnaval")))).toEqual([]);
    expect(idsOf(await find(admin, q("secret")))).toEqual([]);
  });

  it("keeps department-only items from other departments out", async () => {
    expect(idsOf(await find(outsider, q("atelier")))).toEqual(ids("sportsWorkshop"));
    expect(idsOf(await find(colleague, q("atelier")))).toEqual(ids("cultureWorkshop", "sportsWorkshop"));
    const orgManager = await signedIn("manager", null);
    expect(idsOf(await find(orgManager, q("atelier")))).toEqual(ids("cultureWorkshop", "sportsWorkshop"));
    const managerB = await signedIn("manager", deptB);
    expect(idsOf(await find(managerB, q("atelier")))).toEqual(ids("sportsWorkshop"));
  });

  it("shows the search form without results until something is asked", async () => {
    await refreshTagUsage(db());
    const { body } = outcome(await run(() => search.loader({ request: get("/search", colleague.cookie), params: {}, context })));
    expect(body.items).toBeNull();
    expect(unpack<{ id: number }[]>(body.departments).map((d) => Number(d.id))).toEqual(expect.arrayContaining([deptA, deptB]));
    expect(unpack(body.tags)).toEqual(expect.arrayContaining(["randonnée", "nature", "atelier"]));
  });

  it("answers a malformed filter with 400 and its message by the field, the form as sent", async () => {
    for (const [query, field, key] of [
      ["q=atelier&department=abc", "department", "search.errors.department"],
      ["q=atelier&status=published", "status", "search.errors.status"],
      ["q=atelier&from=2026-02-30", "from", "search.errors.date"],
      ["q=atelier&to=demain", "to", "search.errors.date"],
      ["q=atelier&from=2026-05-02&to=2026-05-01", "to", "search.errors.range"],
      [`q=atelier&tag=${"x".repeat(41)}`, "tag", "search.errors.tag"],
      [`q=${"x".repeat(201)}`, "q", "search.errors.q"],
    ]) {
      const { status, body } = outcome(await run(() => search.loader({ request: get(`/search?${query}`, colleague.cookie), params: {}, context })));
      expect([query, status, body.errors]).toEqual([query, 400, { [field]: key }]);
      expect(body.items).toBeNull();
      expect(String(body.values[field])).toBe(new URLSearchParams(query).get(field)!.slice(0, 200));
    }
  });
});

describe("tag suggestions (hourly roll-up of approved items per audience)", () => {
  it("counts each viewer's readable approved items only, most used first", async () => {
    const deptC = await makeDepartment("Jeunesse");
    const writer = await signedIn("agent", deptC);
    const tagged = async (tags: string, visibility: "department" | "organisation" | null) => {
      const id = await newDraft(writer.cookie, { tags });
      if (visibility) await approveDirectly(id, visibility);
      return id;
    };
    await tagged("zz-partout, zz-interne", "organisation");
    await tagged("zz-partout", "organisation");
    await tagged("zz-interne", "department");
    await tagged("zz-brouillon", null);
    const archived = await tagged("zz-archive", "organisation");
    await db().updateTable("contribution").set({ status: "archived" }).where("id", "=", archived).execute();

    const ours = (tags: string[]) => tags.filter((t) => t.startsWith("zz-"));
    const before = await popularTags(db(), writer);
    expect(ours(before)).toEqual([]); // not yet rolled up
    await refreshTagUsage(db());
    const colleagueC = await signedIn("agent", deptC);
    expect(ours(await popularTags(db(), colleagueC))).toEqual(["zz-interne", "zz-partout"]); // 2 each, by name
    expect(ours(await popularTags(db(), outsider))).toEqual(["zz-partout", "zz-interne"]); // 2 and 1 for the organisation
    expect(ours(await popularTags(db(), comms))).toEqual(["zz-interne", "zz-partout"]);
    expect(ours(await popularTags(db(), await signedIn("manager", null)))).toEqual(["zz-interne", "zz-partout"]);
    expect(ours(await popularTags(db(), await signedIn("manager", deptB)))).toEqual(["zz-partout", "zz-interne"]);
  });
});

describe("search follows every change (its narrow copy is kept by a trigger)", () => {
  const searchRow = (id: number) =>
    db().selectFrom("contribution_search").select(["status", "visibility", "tags", "updated_at"]).where("id", "=", id).executeTakeFirst();
  const act = (who: Person, id: number, intent: string) =>
    run(() => page.action({ request: post(`/contributions/${id}`, { intent }, who.cookie), params: { id: String(id) }, context }));

  it("finds the new words after an edit and no longer the old ones", async () => {
    const id = await newDraft(author.cookie, { title: "Tournoi de pétanque", body: richDoc("Boules et bonne humeur."), tags: "sport" });
    expect(idsOf(await find(author, q("petanque")))).toEqual([id]);
    const form = contributionForm({ title: "Tournoi de belote", body: richDoc("Cartes et bonne humeur."), tags: "jeux", intent: "save" });
    const result = await run(() => edit.action({ request: post(`/contributions/${id}/edit`, form, author.cookie), params: { id: String(id) }, context }));
    expect(outcome(result).status).toBeLessThan(400);
    expect(await find(author, q("petanque"))).toEqual([]);
    expect(idsOf(await find(author, q("belote")))).toEqual([id]);
    expect(idsOf(await find(author, "tag=jeux"))).toEqual([id]);
    expect(await find(author, "tag=sport").then((items) => items.some((i) => Number(i.id) === id))).toBe(false);
  });

  it("follows the status: submitted, withdrawn, approved, deleted", async () => {
    const id = await newDraft(author.cookie, { title: "Vide-grenier", body: richDoc("Un vide-grenier dans la cour.") });
    expect((await searchRow(id))?.status).toBe("draft");
    expect(await find(comms, q("vide-grenier"))).toEqual([]);

    await act(author, id, "submit");
    expect((await searchRow(id))?.status).toBe("submitted");
    expect(idsOf(await find(comms, q("vide-grenier")))).toEqual([id]);

    await act(author, id, "withdraw");
    expect((await searchRow(id))?.status).toBe("draft");
    expect(await find(comms, q("vide-grenier"))).toEqual([]);

    await approveDirectly(id, "organisation");
    expect(await searchRow(id)).toMatchObject({ status: "approved", visibility: "organisation" });
    expect(idsOf(await find(outsider, q("vide-grenier")))).toEqual([id]);

    const gone = await newDraft(author.cookie, { title: "Brouillon jetable", body: richDoc("Un mot introuvable : zigouigoui.") });
    expect(await searchRow(gone)).toBeDefined();
    await act(author, gone, "delete");
    expect(await searchRow(gone)).toBeUndefined();
    expect(await find(author, q("zigouigoui"))).toEqual([]);
  });
});
