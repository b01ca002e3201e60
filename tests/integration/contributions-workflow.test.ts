import fs from "node:fs";
import path from "node:path";
import { Kysely, PostgresDialect, sql } from "kysely";
import type { Database } from "../../db/schema";
import { departmentFeed, myContributions, organisationFeed } from "~/contributions/feeds.server";
import { searchContributions } from "~/contributions/search.server";
import { beforeAll, describe, expect, it } from "vitest";
import { db, pool } from "~/db.server";
import * as feed from "~/routes/_index";
import * as page from "~/routes/contributions.$id._index";
import * as edit from "~/routes/contributions.$id.edit";
import * as create from "~/routes/contributions.new";
import * as my from "~/routes/my";
import * as search from "~/routes/search";
import {
  approveDirectly,
  context,
  contributionForm,
  fileBlob,
  filesUnder,
  get,
  jpegBytes,
  makeDepartment,
  newDraft,
  outcome,
  post,
  richDoc,
  run,
  signedIn,
  photoFileKeys,
} from "../factories";
import { unpack } from "~/utils/packed";

type Person = Awaited<ReturnType<typeof signedIn>>;

const row = (id: number) => db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const photosOf = (id: number) => db().selectFrom("photo").selectAll().where("contribution_id", "=", id).orderBy("position").execute();
const eventsOf = async (id: number) =>
  (await db().selectFrom("contribution_event").select(["kind", "actor_id"]).where("contribution_id", "=", id).orderBy("id").execute()).map((e) => e.kind);
const exists = (key: string) => fs.existsSync(path.join(process.env.UPLOADS_DIR!, key));

function editAction(id: number, fields: Record<string, string | string[]>, who: Person, photos: [Blob, string][] = []) {
  const form = contributionForm({ title: "Titre", body: richDoc("Texte."), intent: "save", ...fields }, photos);
  return run(() => edit.action({ request: post(`/contributions/${id}/edit`, form, who.cookie), params: { id: String(id) }, context }));
}

function pageAction(id: number, fields: Record<string, string>, who: Person) {
  return run(() => page.action({ request: post(`/contributions/${id}`, fields, who.cookie), params: { id: String(id) }, context }));
}

const photo = async (seed: number, size = 80): Promise<[Blob, string]> => [await fileBlob(await jpegBytes(seed, size)), `photo-${seed}.jpg`];

describe("writing a contribution", () => {
  let author: Person;
  let comms: Person;
  beforeAll(async () => {
    author = await signedIn("agent");
    comms = await signedIn("comms");
  });

  it("creates a draft: normalised fields, sanitised HTML beside the JSON, plain text, photos in order", async () => {
    const body = JSON.stringify({
      type: "doc",
      content: [
        { type: "heading", attrs: { level: 2 }, content: [{ type: "text", text: "Le programme" }] },
        {
          type: "paragraph",
          content: [
            { type: "text", text: "Une " },
            { type: "text", text: "grande", marks: [{ type: "bold" }] },
            { type: "text", text: " fête, voir " },
            { type: "text", text: "le site", marks: [{ type: "link", attrs: { href: "https://example.org/fete", target: "_blank", rel: "opener" } }] },
            { type: "text", text: " <script>alert(1)</script>" },
          ],
        },
        { type: "bulletList", content: [{ type: "listItem", content: [{ type: "paragraph", content: [{ type: "text", text: "Musique" }] }] }] },
      ],
    });
    const form = contributionForm(
      {
        title: "  Fête de l'été  ",
        body,
        tags: "fête, été , Jeunesse, #fête, FÊTE,  plein   air ",
        eventDate: "2026-07-14",
        place: "Parc de la Mairie",
        visibilityWish: "organisation",
        proposeExternal: "on",
        intent: "save",
      },
      [await photo(1), await photo(2), await photo(3)],
    );
    const result = (await run(() => create.action({ request: post("/contributions/new", form, author.cookie), params: {}, context }))) as Response;
    expect(result.status).toBe(302);
    const id = Number(/^\/contributions\/(\d+)\/edit\?done=created$/.exec(result.headers.get("Location")!)![1]);

    const c = await row(id);
    expect(c).toMatchObject({
      title: "Fête de l'été",
      author_id: author.id,
      department_id: author.departmentId,
      tags: ["fête", "été", "jeunesse", "plein air"],
      event_date: "2026-07-14",
      place: "Parc de la Mairie",
      visibility_wish: "organisation",
      propose_external: true,
      status: "draft",
      visibility: null,
      approved_at: null,
      submitted_at: null,
    });
    expect(c.body_html).toBe(
      "<h2>Le programme</h2>" +
        '<p>Une <strong>grande</strong> fête, voir <a href="https://example.org/fete" rel="noopener noreferrer nofollow">le site</a> &lt;script&gt;alert(1)&lt;/script&gt;</p>' +
        "<ul><li><p>Musique</p></li></ul>",
    );
    expect(c.body_text).toBe("Le programme\nUne grande fête, voir le site <script>alert(1)</script>\nMusique");
    const json = c.body_json as any;
    expect(json.type).toBe("doc");
    expect(json.content[1].content[3].marks[0].attrs).toMatchObject({ href: "https://example.org/fete", target: null, rel: "noopener noreferrer nofollow" });

    const photos = await photosOf(id);
    expect(photos.map((p) => p.position)).toEqual([0, 1, 2]);
    // jpegBytes(seed) is (80 + seed) px wide: the order of the upload is kept.
    expect(photos.map((p) => p.width)).toEqual([81, 82, 83]);
    for (const p of photos) {
      const keys = await photoFileKeys(p);
      expect(keys).toHaveLength(3); // master, display, thumb
      for (const key of keys) expect(exists(key)).toBe(true);
    }
    expect(await eventsOf(id)).toEqual(["created"]);
  });

  it("a body typed without JavaScript (plain textarea) becomes paragraphs", async () => {
    const form = contributionForm({ title: "Sans éditeur", bodyPlain: "Premier paragraphe.\nDeuxième ligne.\n\nSecond <b>paragraphe</b>.", intent: "save" });
    const result = (await run(() => create.action({ request: post("/contributions/new", form, author.cookie), params: {}, context }))) as Response;
    const id = Number(/\/contributions\/(\d+)\//.exec(result.headers.get("Location")!)![1]);
    const c = await row(id);
    expect(c.body_html).toBe("<p>Premier paragraphe.<br />Deuxième ligne.</p><p>Second &lt;b&gt;paragraphe&lt;/b&gt;.</p>");
    expect(c.body_text).toBe("Premier paragraphe.\nDeuxième ligne.\nSecond <b>paragraphe</b>.");
  });

  it("refuses an author without a department (an organisation-wide manager), storing nothing", async () => {
    const loner = await signedIn("manager", null);
    const before = await filesUnder();
    const form = contributionForm({ title: "Orphelin", body: richDoc("x"), intent: "save" }, [await photo(90)]);
    const { status, body } = outcome(await run(() => create.action({ request: post("/contributions/new", form, loner.cookie), params: {}, context })));
    expect(status).toBe(400);
    expect(body.errors.form).toBe("contributions.errors.noDepartment");
    expect(await db().selectFrom("contribution").select("id").where("author_id", "=", loner.id).execute()).toHaveLength(0);
    expect(await filesUnder()).toEqual(before);
  });

  it("does not let an admin write (DESIGN.md: accounts and data, not contributions): 403, nothing stored", async () => {
    const admin = await signedIn("admin", await makeDepartment());
    expect(outcome(await run(() => create.loader({ request: get("/contributions/new", admin.cookie), params: {}, context }))).status).toBe(403);
    const before = await filesUnder();
    const form = contributionForm({ title: "Note de la DSI", body: richDoc("x"), intent: "save" }, [await photo(91)]);
    const { status } = outcome(await run(() => create.action({ request: post("/contributions/new", form, admin.cookie), params: {}, context })));
    expect(status).toBe(403);
    expect(await db().selectFrom("contribution").select("id").where("author_id", "=", admin.id).execute()).toHaveLength(0);
    expect(await filesUnder()).toEqual(before);
  });

  it("goes draft → submitted, is edited while in review (stays submitted), withdrawn, sent back, resubmitted", async () => {
    const id = await newDraft(author.cookie, { title: "Atelier" }, [await photo(10), await photo(11)]);
    const [p1, p2] = await photosOf(id);

    // Submit with the photos' details (alt texts are required).
    const submitted = (await editAction(
      id,
      {
        title: "Atelier",
        intent: "submit",
        [`photo.${p1.id}.alt`]: "Des enfants peignent",
        [`photo.${p1.id}.credit`]: "Léa",
        [`photo.${p1.id}.rightsStatus`]: "authorised",
        [`photo.${p1.id}.rightsScope`]: "external",
        [`photo.${p1.id}.rightsExpiresOn`]: "2027-12-31",
        [`photo.${p2.id}.alt`]: "Les pinceaux",
        [`photo.${p2.id}.rightsStatus`]: "no_person",
      },
      author,
    )) as Response;
    expect(submitted.status).toBe(302);
    expect(submitted.headers.get("Location")).toBe(`/contributions/${id}?done=submitted`);
    let c = await row(id);
    expect(c.status).toBe("submitted");
    expect(c.submitted_at).not.toBeNull();
    expect(await photosOf(id)).toMatchObject([
      { alt_text: "Des enfants peignent", credit: "Léa", rights_status: "authorised", rights_scope: "external", rights_expires_on: "2027-12-31" },
      { alt_text: "Les pinceaux", rights_status: "no_person", rights_scope: null },
    ]);
    const toComms = await db().selectFrom("notification").selectAll().where("user_id", "=", comms.id).where("contribution_id", "=", id).execute();
    expect(toComms.map((n) => n.kind)).toEqual(["submitted"]);

    // Edited while it waits: it stays in review (a photo added then needs its alt text before approval).
    const version = c.version;
    const saved = (await editAction(id, { title: "Atelier peinture", intent: "save" }, author, [await photo(12)])) as Response;
    expect(saved.headers.get("Location")).toBe(`/contributions/${id}/edit?done=saved`);
    c = await row(id);
    expect(c).toMatchObject({ status: "submitted", title: "Atelier peinture" });
    expect(c.version).toBeGreaterThan(version);
    expect((await photosOf(id)).map((p) => p.position)).toEqual([0, 1, 2]);

    // Submitting again while in review is refused.
    const twice = outcome(await pageAction(id, { intent: "submit" }, author));
    expect(twice.status).toBe(409);
    expect(twice.body.errors.form).toBe("contributions.errors.notSubmittable");

    // Withdrawn back to a draft.
    const withdrawn = (await pageAction(id, { intent: "withdraw" }, author)) as Response;
    expect(withdrawn.headers.get("Location")).toBe(`/contributions/${id}?done=withdrawn`);
    c = await row(id);
    expect(c.status).toBe("draft");
    expect(c.submitted_at).toBeNull();
    expect(outcome(await pageAction(id, { intent: "withdraw" }, author)).status).toBe(409);

    // Submitted from the page (the third photo needs its alt text first).
    expect(outcome(await pageAction(id, { intent: "submit" }, author)).body.errors.form[0]).toBe("contributions.errors.altMissing");
    const p3 = (await photosOf(id))[2];
    await editAction(id, { title: "Atelier peinture", [`photo.${p3.id}.alt`]: "Une palette" }, author);
    expect(((await pageAction(id, { intent: "submit" }, author)) as Response).status).toBe(302);
    expect((await row(id)).status).toBe("submitted");

    // Comms asks for changes (set directly: the review module has its own tests); the author resubmits.
    await db().updateTable("contribution").set({ status: "changes_requested" }).where("id", "=", id).execute();
    const resubmitted = (await editAction(id, { title: "Atelier peinture (corrigé)", intent: "submit" }, author)) as Response;
    expect(resubmitted.status).toBe(302);
    expect(await row(id)).toMatchObject({ status: "submitted", title: "Atelier peinture (corrigé)" });

    expect(await eventsOf(id)).toEqual(["created", "submitted", "withdrawn", "submitted", "submitted"]);
    const actors = await db().selectFrom("contribution_event").select("actor_id").where("contribution_id", "=", id).execute();
    expect(new Set(actors.map((a) => a.actor_id))).toEqual(new Set([author.id]));
  });

  it("cannot be edited once approved or rejected", async () => {
    for (const status of ["approved", "rejected"] as const) {
      const id = await newDraft(author.cookie, { title: "Figée" });
      if (status === "approved") await approveDirectly(id, "department");
      else await db().updateTable("contribution").set({ status }).where("id", "=", id).execute();
      const before = await row(id);
      const response = (await editAction(id, { title: "Changée" }, author)) as Response;
      expect(response.status).toBe(302); // back to its page
      expect(await row(id)).toEqual(before);
    }
  });

  it("removes one photo from a draft: its row and its files go, the others stay", async () => {
    const id = await newDraft(author.cookie, {}, [await photo(20), await photo(21)]);
    const [keep, drop] = await photosOf(id);
    const [keepKeys, dropKeys] = [await photoFileKeys(keep), await photoFileKeys(drop)];
    await editAction(id, { removePhoto: String(drop.id) }, author);
    expect((await photosOf(id)).map((p) => p.id)).toEqual([keep.id]);
    expect(await db().selectFrom("photo_rendition").select("kind").where("photo_id", "=", drop.id).execute()).toEqual([]);
    for (const key of dropKeys) expect(exists(key)).toBe(false);
    for (const key of keepKeys) expect(exists(key)).toBe(true);
  });

  it("deletes a draft with its photo rows and files; a file shared with another photo stays", async () => {
    const shared = await photo(30);
    const other = await newDraft(author.cookie, { title: "Garde la même photo" }, [shared]);
    const id = await newDraft(author.cookie, { title: "À supprimer" }, [await photo(31), shared]);
    const photos = await photosOf(id);
    const otherPhoto = (await photosOf(other))[0];
    expect(photos[1].master_key).toBe(otherPhoto.master_key);
    const [goneKeys, otherKeys] = [await photoFileKeys(photos[0]), await photoFileKeys(otherPhoto)];

    const response = (await pageAction(id, { intent: "delete" }, author)) as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/my?done=deleted");
    expect(await db().selectFrom("contribution").select("id").where("id", "=", id).execute()).toHaveLength(0);
    expect(await db().selectFrom("photo").select("id").where("contribution_id", "=", id).execute()).toHaveLength(0);
    for (const key of goneKeys) expect(exists(key)).toBe(false);
    for (const key of otherKeys) expect(exists(key)).toBe(true);
    expect(await filesUnder(path.join(process.env.UPLOADS_DIR!, "tmp"))).toEqual([]);
  });

  it("refuses to delete a contribution in review", async () => {
    const id = await newDraft(author.cookie, {}, [await photo(40)]);
    await db().updateTable("contribution").set({ status: "submitted" }).where("id", "=", id).execute();
    const { status, body } = outcome(await pageAction(id, { intent: "delete" }, author));
    expect(status).toBe(409);
    expect(body.errors.form).toBe("contributions.errors.notDeletable");
    const [p] = await photosOf(id);
    expect(exists(p.master_key)).toBe(true);
  });
});

describe("my contributions", () => {
  it("lists every one of my contributions, in every status, and nobody else's", async () => {
    const me = await signedIn("agent");
    const colleague = await signedIn("agent", me.departmentId);
    const mine: number[] = [];
    for (const status of ["draft", "submitted", "changes_requested", "rejected", "approved", "archived"] as const) {
      const id = await newDraft(me.cookie, { title: `Ma ${status}` });
      if (status === "approved" || status === "archived") await approveDirectly(id, "department");
      if (status !== "draft" && status !== "approved") await db().updateTable("contribution").set({ status }).where("id", "=", id).execute();
      mine.push(id);
    }
    const theirs = await newDraft(colleague.cookie, { title: "La sienne" });
    await approveDirectly(theirs, "organisation");

    const { body } = outcome(await run(() => my.loader({ request: get("/my", me.cookie), params: {}, context })));
    expect(unpack<any[]>(body.items).map((i: any) => Number(i.id)).sort()).toEqual([...mine].sort());
    expect(new Set(unpack<any[]>(body.items).map((i: any) => i.status))).toEqual(new Set(["draft", "submitted", "changes_requested", "rejected", "approved", "archived"]));
    expect(body.nextHref).toBeNull();
    // Most recently changed first.
    await db().updateTable("contribution").set({ updated_at: sql`now() + interval '1 minute'` }).where("id", "=", mine[0]).execute();
    const again = outcome(await run(() => my.loader({ request: get("/my", me.cookie), params: {}, context }))).body;
    expect(Number(unpack<any[]>(again.items)[0].id)).toBe(mine[0]);
  });
});

describe("feeds", () => {
  it("my department's feed shows its approved items (both visibilities); the organisation's feed only organisation-wide ones", async () => {
    const a = await makeDepartment();
    const b = await makeDepartment();
    const agentA = await signedIn("agent", a);
    const agentB = await signedIn("agent", b);
    const make = async (who: Person, title: string, visibility?: "department" | "organisation") => {
      const id = await newDraft(who.cookie, { title });
      if (visibility) await approveDirectly(id, visibility);
      return id;
    };
    const deptA = await make(agentA, "A service", "department");
    const orgA = await make(agentA, "A organisation", "organisation");
    const draftA = await make(agentA, "A brouillon");
    const submittedA = await make(agentA, "A en relecture");
    await db().updateTable("contribution").set({ status: "submitted" }).where("id", "=", submittedA).execute();
    const deptB = await make(agentB, "B service", "department");
    const orgB = await make(agentB, "B organisation", "organisation");
    const ours = new Set([deptA, orgA, draftA, submittedA, deptB, orgB]);

    const load = async (who: Person, query: string) => {
      const { body } = outcome(await run(() => feed.loader({ request: get(`/${query}`, who.cookie), params: {}, context })));
      return body;
    };
    const ids = (body: any) => unpack<any[]>(body.items).map((i: any) => Number(i.id)).filter((id: number) => ours.has(id));

    const aDept = await load(agentA, "");
    expect(aDept.scope).toBe("department");
    expect(ids(aDept)).toEqual([orgA, deptA]); // newest approval first
    expect(ids(await load(agentA, "?scope=organisation"))).toEqual([orgB, orgA]);
    expect(ids(await load(agentB, ""))).toEqual([orgB, deptB]);
    expect(ids(await load(agentB, "?scope=organisation"))).toEqual([orgB, orgA]);

    // Someone without a department gets the organisation's feed.
    const orgManager = await signedIn("manager", null);
    const m = await load(orgManager, "");
    expect(m.scope).toBe("organisation");
    expect(ids(m)).toEqual([orgB, orgA]);

    // Cards carry their counters and cover.
    const card = unpack<any[]>(aDept.items).find((i: any) => Number(i.id) === deptA);
    expect(card).toMatchObject({ title: "A service", department_name: expect.any(String), photo_count: 0, thanks_count: 0, comment_count: 0, cover: null });
  });

  async function insertApproved(n: number, departmentId: number, authorId: string, approvedAt: (i: number) => ReturnType<typeof sql>) {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const { id } = await db()
        .insertInto("contribution")
        .values({
          author_id: authorId,
          department_id: departmentId,
          title: `Nouvelle ${i}`,
          body_json: JSON.stringify({ type: "doc", content: [{ type: "paragraph", content: [{ type: "text", text: `n° ${i}` }] }] }),
          body_html: `<p>n° ${i}</p>`,
          body_text: `n° ${i}`,
          status: "approved",
          visibility: "department",
          approved_at: approvedAt(i) as any,
          updated_at: approvedAt(i) as any,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      ids.push(id);
    }
    return ids;
  }

  type AnyLoader = (args: Parameters<typeof feed.loader>[0]) => Promise<unknown>;
  async function followPages(loader: AnyLoader, start: string, cookie: string) {
    const pages: number[][] = [];
    let href: string | null = start;
    while (href && pages.length < 10) {
      const { body } = outcome(await run(() => loader({ request: get(href!, cookie), params: {}, context }))) as { body: any };
      pages.push(unpack<any[]>(body.items).map((i: any) => Number(i.id)));
      href = body.nextHref;
    }
    return pages;
  }

  it("pages 45 approved items by 20 with the keyset cursor: 20, 20, 5, no duplicate, no gap, newest first", async () => {
    const dept = await makeDepartment();
    const reader = await signedIn("agent", dept);
    const ids = await insertApproved(45, dept, reader.id, (i) => sql`now() - ${i} * interval '1 minute'`);
    const pages = await followPages(feed.loader, "/", reader.cookie);
    expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
    expect(pages.flat()).toEqual(ids); // ids[0] is the newest
  });

  it("reads each page by its cursor: no OFFSET and no count of the whole list, in feeds, my contributions and search", async () => {
    const dept = await makeDepartment();
    const reader = await signedIn("agent", dept);
    await insertApproved(25, dept, reader.id, (i) => sql`now() - ${i} * interval '1 minute'`);
    const sent: string[] = [];
    const logged = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: pool() }),
      log: (event) => void (event.level === "query" && sent.push(event.query.sql)),
    });
    const viewer = { id: reader.id, role: "agent" as const, departmentId: dept };
    const second = (await departmentFeed(logged, viewer)).next;
    expect(second).not.toBeNull();
    await departmentFeed(logged, viewer, second);
    await organisationFeed(logged, viewer);
    await myContributions(logged, viewer);
    await searchContributions(logged, viewer, { q: "", department: dept });
    expect(sent.length).toBeGreaterThanOrEqual(5);
    const counted = new Set<string>();
    for (const query of sent) {
      expect(query).not.toMatch(/\boffset\b/i);
      for (const count of query.matchAll(/count\(\*\)[^)]*\bfrom\s+"?(\w+)"?/gi)) counted.add(count[1]);
    }
    // Nothing is counted at a read: not the list, and not a card's comments, thanks and photos, which
    // its card holds (made when they are written, contribution_card).
    expect([...counted]).toEqual([]);
  });

  it("keeps no gap when several items share the same approval time (one bulk approval, microseconds)", async () => {
    const dept = await makeDepartment();
    const reader = await signedIn("agent", dept);
    // One statement, one now(): the same timestamp, with microseconds, for all 45.
    const same = sql`'2026-11-20 10:15:30.123456+00'::timestamptz`;
    const ids = await insertApproved(45, dept, reader.id, () => same);
    const pages = await followPages(feed.loader, "/", reader.cookie);
    expect(pages.flat().sort()).toEqual([...ids].sort());
    expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
  });

  it("keeps no gap when items were approved within the same millisecond", async () => {
    const dept = await makeDepartment();
    const reader = await signedIn("agent", dept);
    const ids = await insertApproved(30, dept, reader.id, (i) => sql`'2026-11-20 10:15:30.123000+00'::timestamptz + ${i} * interval '10 microseconds'`);
    const pages = await followPages(feed.loader, "/", reader.cookie);
    expect(pages.flat()).toEqual([...ids].reverse());
  });

  it("pages my contributions and search results the same way, without a gap on equal times", async () => {
    const dept = await makeDepartment();
    const me = await signedIn("agent", dept);
    const ids = await insertApproved(25, dept, me.id, () => sql`'2026-11-20 10:15:30.654321+00'::timestamptz`);
    const mine = await followPages(my.loader, "/my", me.cookie);
    expect(mine.flat().sort()).toEqual([...ids].sort());
    const found = await followPages(search.loader, `/search?department=${dept}`, me.cookie);
    expect(found.flat().sort()).toEqual([...ids].sort());
  });

  it("ignores a forged cursor instead of failing", async () => {
    const dept = await makeDepartment();
    const reader = await signedIn("agent", dept);
    await insertApproved(3, dept, reader.id, (i) => sql`now() - ${i} * interval '1 minute'`);
    for (const cursor of ["garbage", "%00", Buffer.from("not-a-date|1").toString("base64url"), Buffer.from("2026-01-01T00:00:00Z|1e400").toString("base64url")]) {
      const { status, body } = outcome(await run(() => feed.loader({ request: get(`/?cursor=${cursor}`, reader.cookie), params: {}, context })));
      expect(status).toBe(200);
      expect(unpack<any[]>(body.items)).toHaveLength(3);
    }
  });
});

describe("comments and thanks", () => {
  let author: Person;
  let reader: Person;
  let other: Person;
  let id: number;
  beforeAll(async () => {
    author = await signedIn("agent");
    reader = await signedIn("agent");
    other = await signedIn("agent");
    id = await newDraft(author.cookie, { title: "Concert" });
    await approveDirectly(id, "organisation");
  });

  const notifications = (userId: string, kind: string) =>
    db().selectFrom("notification").selectAll().where("user_id", "=", userId).where("kind", "=", kind as any).where("contribution_id", "=", id).execute();

  it("adds, edits and deletes a comment by its author only; the contribution's author is notified", async () => {
    expect((await pageAction(id, { intent: "comment", body: "  Bravo pour ce concert !  " }, reader)) as any).toEqual({ ok: true });
    const [comment] = await db().selectFrom("comment").selectAll().where("contribution_id", "=", id).execute();
    expect(comment).toMatchObject({ author_id: reader.id, body: "Bravo pour ce concert !", edited_at: null });
    const notes = await notifications(author.id, "commented");
    expect(notes).toHaveLength(1);
    expect(notes[0].actor_id).toBe(reader.id);

    // Someone else (even the contribution's author) cannot edit or delete it.
    for (const who of [other, author]) {
      expect(outcome(await pageAction(id, { intent: "editComment", commentId: String(comment.id), body: "Nul" }, who)).status).toBe(403);
      expect(outcome(await pageAction(id, { intent: "deleteComment", commentId: String(comment.id) }, who)).status).toBe(403);
    }
    expect(await db().selectFrom("comment").selectAll().where("id", "=", comment.id).executeTakeFirstOrThrow()).toEqual(comment);

    expect(outcome(await pageAction(id, { intent: "editComment", commentId: String(comment.id), body: "Bravo à toute l'équipe !" }, reader)).status).toBe(200);
    const edited = await db().selectFrom("comment").selectAll().where("id", "=", comment.id).executeTakeFirstOrThrow();
    expect(edited.body).toBe("Bravo à toute l'équipe !");
    expect(edited.edited_at).not.toBeNull();

    // Shown on the page, as plain text.
    const view = outcome(await run(() => page.loader({ request: get(`/contributions/${id}`, other.cookie), params: { id: String(id) }, context }))).body;
    expect(view.comments.map((m: any) => m.body)).toEqual(["Bravo à toute l'équipe !"]);

    expect(outcome(await pageAction(id, { intent: "deleteComment", commentId: String(comment.id) }, reader)).status).toBe(200);
    expect(await db().selectFrom("comment").select("id").where("id", "=", comment.id).execute()).toHaveLength(0);
  });

  it("refuses an empty or overlong comment, storing nothing", async () => {
    const before = await db().selectFrom("comment").select("id").execute();
    for (const [text, key] of [["", "comments.errors.empty"], ["   \n  ", "comments.errors.empty"], ["x".repeat(5001), "comments.errors.tooLong"]]) {
      const { status, body } = outcome(await pageAction(id, { intent: "comment", body: text }, reader));
      expect(status).toBe(400);
      expect(body.errors.body).toBe(key);
    }
    expect(await db().selectFrom("comment").select("id").execute()).toEqual(before);
  });

  it("keeps HTML in a comment as plain text", async () => {
    await pageAction(id, { intent: "comment", body: "<img src=x onerror=alert(1)>" }, other);
    const c = await db().selectFrom("comment").select("body").where("author_id", "=", other.id).executeTakeFirstOrThrow();
    expect(c.body).toBe("<img src=x onerror=alert(1)>");
  });

  it("refuses a comment on a contribution the person may not see", async () => {
    const draft = await newDraft(author.cookie, { title: "Brouillon" });
    expect(outcome(await pageAction(draft, { intent: "comment", body: "Je vois ton brouillon" }, reader)).status).toBe(404);
    expect(await db().selectFrom("comment").select("id").where("contribution_id", "=", draft).execute()).toHaveLength(0);
  });

  it("says merci once per person, notifies the author, and not on one's own contribution", async () => {
    expect(outcome(await pageAction(id, { intent: "thank" }, reader))).toEqual({ status: 200, body: { ok: true } });
    const second = outcome(await pageAction(id, { intent: "thank" }, reader));
    expect(second.status).toBe(409);
    expect(second.body.errors.form).toBe("thanks.errors.already");
    const own = outcome(await pageAction(id, { intent: "thank" }, author));
    expect(own.status).toBe(400);
    expect(own.body.errors.form).toBe("thanks.errors.own");
    expect(outcome(await pageAction(id, { intent: "thank" }, other)).status).toBe(200);

    const thanks = await db().selectFrom("thanks").select("user_id").where("contribution_id", "=", id).execute();
    expect(thanks.map((t) => t.user_id).sort()).toEqual([reader.id, other.id].sort());
    const notes = await notifications(author.id, "thanked");
    expect(notes.map((n) => n.actor_id).sort()).toEqual([reader.id, other.id].sort());

    const view = outcome(await run(() => page.loader({ request: get(`/contributions/${id}`, reader.cookie), params: { id: String(id) }, context }))).body;
    expect(view.c).toMatchObject({ thanks: 2, thanked: true });
  });

  it("refuses merci on a draft or on a contribution still in review", async () => {
    const comms = await signedIn("comms");
    const draft = await newDraft(author.cookie, { title: "Pas finie" });
    expect(outcome(await pageAction(draft, { intent: "thank" }, reader)).status).toBe(404);
    expect(outcome(await pageAction(draft, { intent: "thank" }, comms)).status).toBe(404);
    await db().updateTable("contribution").set({ status: "submitted" }).where("id", "=", draft).execute();
    const inReview = outcome(await pageAction(draft, { intent: "thank" }, comms));
    expect(inReview.status).toBe(409);
    expect(inReview.body.errors.form).toBe("thanks.errors.notApproved");
    expect(await db().selectFrom("thanks").select("user_id").where("contribution_id", "=", draft).execute()).toHaveLength(0);
    expect(await db().selectFrom("notification").select("id").where("contribution_id", "=", draft).where("kind", "=", "thanked").execute()).toHaveLength(0);
  });
});
