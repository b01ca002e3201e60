import fs from "node:fs/promises";
import path from "node:path";
import exifr from "exifr";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import type { ContributionStatus } from "../../db/schema";
import { db } from "~/db.server";
import * as feed from "~/routes/_index";
import * as page from "~/routes/contributions.$id._index";
import * as edit from "~/routes/contributions.$id.edit";
import * as my from "~/routes/my";
import * as photoRoute from "~/routes/photos.$id.$rendition";
import * as search from "~/routes/search";
import { SAMPLE_PHOTOS } from "../fixtures/photos";
import {
  approveDirectly,
  context,
  contributionForm,
  fileBlob,
  jpegBytes,
  makeDepartment,
  newDraft,
  outcome,
  post,
  richDoc,
  run,
  get,
  signedIn,
  viewers,
  type Viewer,
  photoFileKeys,
} from "../factories";
import { unpack, type Packed } from "~/utils/packed";

type Person = Awaited<ReturnType<typeof signedIn>>;
type Case = "draft" | "submitted" | "changes_requested" | "rejected" | "approvedDepartment" | "approvedOrganisation";
const CASES: Case[] = ["draft", "submitted", "changes_requested", "rejected", "approvedDepartment", "approvedOrganisation"];

// Who sees what (DESIGN.md): Y = may see it.
const MATRIX: Record<Viewer, Case[]> = {
  author: CASES,
  agentSameDept: ["approvedDepartment", "approvedOrganisation"],
  agentOtherDept: ["approvedOrganisation"],
  comms: ["submitted", "changes_requested", "rejected", "approvedDepartment", "approvedOrganisation"],
  managerSameDept: ["approvedDepartment", "approvedOrganisation"],
  managerOtherDept: ["approvedOrganisation"],
  managerOrgWide: ["approvedDepartment", "approvedOrganisation"],
  adminNoDept: ["approvedOrganisation"],
  adminOtherDept: ["approvedOrganisation"],
};

let deptA: number;
let people: Record<Viewer, Person>;
const ids = {} as Record<Case, number>;
const photoIds = {} as Record<Case, number>;

async function setStatus(id: number, c: Case) {
  const status: ContributionStatus = c.startsWith("approved") ? "approved" : (c as ContributionStatus);
  if (status === "approved") return approveDirectly(id, c === "approvedDepartment" ? "department" : "organisation");
  if (status === "draft") return;
  await db().updateTable("contribution").set({ status, submitted_at: new Date() }).where("id", "=", id).execute();
}

beforeAll(async () => {
  deptA = await makeDepartment("Médiathèque");
  const deptB = await makeDepartment("Piscine");
  people = await viewers(deptA, deptB);
  let seed = 100;
  for (const c of CASES) {
    const blob = await fileBlob(await jpegBytes(seed++));
    ids[c] = await newDraft(people.author.cookie, { title: `Contribution ${c}`, body: richDoc(`Texte ${c}`) }, [[blob, `${c}.jpg`]]);
    photoIds[c] = (await db().selectFrom("photo").select("id").where("contribution_id", "=", ids[c]).executeTakeFirstOrThrow()).id;
    await setStatus(ids[c], c);
  }
});

const pageStatus = async (cookie: string | undefined, id: number) =>
  outcome(await run(() => page.loader({ request: get(`/contributions/${id}`, cookie), params: { id: String(id) }, context }))).status;

const photoResponse = async (cookie: string | undefined, photoId: number, rendition = "thumb", headers: Record<string, string> = {}) => {
  const request = new Request(`http://relais.test/photos/${photoId}/${rendition}`, { headers: { ...(cookie ? { Cookie: cookie } : {}), ...headers } });
  return (await run(() => photoRoute.loader({ request, params: { id: String(photoId), rendition }, context }))) as Response;
};

const feedIds = async (cookie: string, scope: "department" | "organisation") => {
  const { body } = outcome(await run(() => feed.loader({ request: get(`/?scope=${scope}`, cookie), params: {}, context })));
  return unpack<{ id: number }[]>(body.items).map((i) => Number(i.id));
};

const searchIds = async (cookie: string, query: string) => {
  const { body } = outcome(await run(() => search.loader({ request: get(`/search?${query}`, cookie), params: {}, context })));
  return unpack<{ id: number }[]>(body.items).map((i) => Number(i.id));
};

describe("who sees which contribution (page and photo)", () => {
  for (const viewer of Object.keys(MATRIX) as Viewer[]) {
    for (const c of CASES) {
      const sees = MATRIX[viewer].includes(c);
      it(`${viewer} ${sees ? "sees" : "does not see"} a ${c} contribution nor its photo`, async () => {
        const who = people[viewer];
        expect(await pageStatus(who.cookie, ids[c])).toBe(sees ? 200 : 404);
        for (const rendition of ["thumb", "display", "master"]) {
          const response = await photoResponse(who.cookie, photoIds[c], rendition);
          expect(response.status, rendition).toBe(sees ? 200 : 404);
          if (sees) expect(response.headers.get("Content-Type")).toBe("image/webp");
          else expect(Buffer.from(await response.arrayBuffer()).subarray(0, 4).toString("latin1")).not.toBe("RIFF");
        }
      });
    }
  }

  it("answers 404 for a photo id or a rendition that does not exist", async () => {
    const { cookie } = people.author;
    expect((await photoResponse(cookie, 999_999)).status).toBe(404);
    expect((await photoResponse(cookie, photoIds.draft, "original")).status).toBe(404);
    expect((await photoResponse(cookie, photoIds.draft, "../../etc/passwd")).status).toBe(404);
    expect(await pageStatus(cookie, 999_999)).toBe(404);
    expect(await pageStatus(cookie, Number.NaN)).toBe(404);
  });

  it("shows the history of a contribution only to its author and comms", async () => {
    const load = async (p: Person) =>
      outcome(await run(() => page.loader({ request: get(`/contributions/${ids.approvedOrganisation}`, p.cookie), params: { id: String(ids.approvedOrganisation) }, context }))).body;
    expect((await load(people.author)).c.history.length).toBeGreaterThan(0);
    expect((await load(people.comms)).c.history.length).toBeGreaterThan(0);
    expect((await load(people.agentOtherDept)).c.history).toEqual([]);
  });
});

describe("who finds which contribution in lists (feeds, search, my contributions)", () => {
  for (const viewer of Object.keys(MATRIX) as Viewer[]) {
    it(`${viewer}: feeds list only approved items of their audience, search only what they may see`, async () => {
      const who = people[viewer];
      const mine = new Set(CASES.map((c) => ids[c]));
      const inFeeds = [...(await feedIds(who.cookie, "department")), ...(await feedIds(who.cookie, "organisation"))].filter((id) => mine.has(id));
      const expectedFeeds = [ids.approvedOrganisation, ...(who.departmentId === deptA ? [ids.approvedDepartment] : [])];
      expect(new Set(inFeeds)).toEqual(new Set(expectedFeeds));

      const visible = MATRIX[viewer].map((c) => ids[c]).sort();
      expect((await searchIds(who.cookie, `department=${deptA}`)).sort()).toEqual(visible);
      expect((await searchIds(who.cookie, `q=Contribution`)).filter((id) => mine.has(id)).sort()).toEqual(visible);
      expect((await searchIds(who.cookie, `q=Texte&status=draft`)).filter((id) => mine.has(id))).toEqual(viewer === "author" ? [ids.draft] : []);

      const { body } = outcome(await run(() => my.loader({ request: get("/my", who.cookie), params: {}, context })));
      const myIds = unpack<{ id: number }[]>(body.items).map((i) => Number(i.id)).sort();
      expect(myIds).toEqual(viewer === "author" ? [...mine].sort() : []);
    });
  }
});

describe("without a session", () => {
  it("sends every contribution page, photo and list to the sign-in page", async () => {
    const expectLogin = (result: unknown, back: string) => {
      const response = result as Response;
      expect(response.status).toBe(302);
      expect(response.headers.get("Location")).toBe(back === "/" ? "/login" : `/login?redirectTo=${encodeURIComponent(back)}`);
    };
    const id = ids.approvedOrganisation;
    expectLogin(await run(() => page.loader({ request: get(`/contributions/${id}`), params: { id: String(id) }, context })), `/contributions/${id}`);
    expectLogin(await run(() => edit.loader({ request: get(`/contributions/${id}/edit`), params: { id: String(id) }, context })), `/contributions/${id}/edit`);
    expectLogin(await photoResponse(undefined, photoIds.approvedOrganisation), `/photos/${photoIds.approvedOrganisation}/thumb`);
    expectLogin(await run(() => feed.loader({ request: get("/"), params: {}, context })), "/");
    expectLogin(await run(() => my.loader({ request: get("/my"), params: {}, context })), "/my");
    expectLogin(await run(() => search.loader({ request: get("/search?q=fete"), params: {}, context })), "/search?q=fete");
    const comment = post(`/contributions/${id}`, { intent: "comment", body: "anonyme" });
    expect(outcome(await run(() => page.action({ request: comment, params: { id: String(id) }, context }))).status).toBe(302);
    expect(await db().selectFrom("comment").select("id").where("body", "=", "anonyme").execute()).toHaveLength(0);
  });
});

describe("editing someone else's contribution", () => {
  const editLoad = async (who: Person, id: number) =>
    outcome(await run(() => edit.loader({ request: get(`/contributions/${id}/edit`, who.cookie), params: { id: String(id) }, context }))).status;

  it("the edit page answers 403 when the viewer sees the contribution, 404 when they do not", async () => {
    for (const viewer of Object.keys(MATRIX) as Viewer[]) {
      if (viewer === "author") continue;
      for (const c of CASES) {
        expect(await editLoad(people[viewer], ids[c]), `${viewer} ${c}`).toBe(MATRIX[viewer].includes(c) ? 403 : 404);
      }
    }
  });

  it("the author edits a draft, a submitted or a changes-requested item; an approved or rejected one sends back to its page", async () => {
    for (const c of ["draft", "submitted", "changes_requested"] as const) expect(await editLoad(people.author, ids[c])).toBe(200);
    for (const c of ["rejected", "approvedDepartment"] as const) {
      const response = (await run(() => edit.loader({ request: get(`/contributions/${ids[c]}/edit`, people.author.cookie), params: { id: String(ids[c]) }, context }))) as Response;
      expect(response.status).toBe(302);
      expect(response.headers.get("Location")).toBe(`/contributions/${ids[c]}`);
    }
  });

  it("posting an edit to someone else's contribution changes nothing (404 if unseen, 403 if seen)", async () => {
    const attempts: [Viewer, Case, number][] = [
      ["agentSameDept", "draft", 404],
      ["comms", "draft", 404],
      ["adminNoDept", "draft", 404],
      ["managerSameDept", "draft", 404],
      ["agentSameDept", "submitted", 404],
      ["comms", "submitted", 403],
      ["comms", "changes_requested", 403],
      ["agentSameDept", "approvedDepartment", 403],
    ];
    for (const [viewer, c, status] of attempts) {
      const before = await db().selectFrom("contribution").selectAll().where("id", "=", ids[c]).executeTakeFirstOrThrow();
      const photosBefore = await db().selectFrom("photo").selectAll().where("contribution_id", "=", ids[c]).execute();
      const form = contributionForm(
        { title: "Piraté", body: richDoc("Piraté"), intent: "submit", removePhoto: String(photoIds[c]), [`photo.${photoIds[c]}.alt`]: "x" },
        [[await fileBlob(await jpegBytes(200)), "intrus.jpg"]],
      );
      const result = await run(() => edit.action({ request: post(`/contributions/${ids[c]}/edit`, form, people[viewer].cookie), params: { id: String(ids[c]) }, context }));
      expect(outcome(result).status, `${viewer} ${c}`).toBe(status);
      expect(await db().selectFrom("contribution").selectAll().where("id", "=", ids[c]).executeTakeFirstOrThrow()).toEqual(before);
      expect(await db().selectFrom("photo").selectAll().where("contribution_id", "=", ids[c]).execute()).toEqual(photosBefore);
    }
  });

  it("someone else cannot submit, withdraw or delete the author's contribution", async () => {
    const attempts: [Viewer, Case, string, number][] = [
      ["agentSameDept", "draft", "submit", 404],
      ["agentSameDept", "draft", "delete", 404],
      ["comms", "draft", "delete", 404],
      ["comms", "submitted", "withdraw", 403],
      ["comms", "rejected", "delete", 403],
      ["managerSameDept", "approvedDepartment", "delete", 403],
    ];
    for (const [viewer, c, intent, status] of attempts) {
      const before = await db().selectFrom("contribution").selectAll().where("id", "=", ids[c]).executeTakeFirstOrThrow();
      const request = post(`/contributions/${ids[c]}`, { intent }, people[viewer].cookie);
      const result = await run(() => page.action({ request, params: { id: String(ids[c]) }, context }));
      expect(outcome(result).status, `${viewer} ${intent} ${c}`).toBe(status);
      expect(await db().selectFrom("contribution").selectAll().where("id", "=", ids[c]).executeTakeFirstOrThrow()).toEqual(before);
    }
  });
});

describe("the photo route", () => {
  let id: number;
  const samples = ["gps-DSCN0010.jpg", "tests-45-gps_ifd.jpg", "xmp-no_exif.jpg", "Canon_40D.jpg", "orientation-landscape_6.jpg"];
  const photos: { id: number; master_key: string; display_key: string; thumb_key: string; width: number; height: number }[] = [];

  beforeAll(async () => {
    const files: [Blob, string][] = [];
    for (const name of samples) files.push([await fileBlob(name), name]);
    id = await newDraft(people.author.cookie, { title: "Photos d'appareils" }, files);
    await approveDirectly(id, "organisation");
    const rows = await db().selectFrom("photo").selectAll().where("contribution_id", "=", id).orderBy("position").execute();
    for (const row of rows) {
      const [master_key, display_key, thumb_key] = await photoFileKeys(row); // ordered by kind: display, thumb
      photos.push({ ...row, master_key, display_key, thumb_key });
    }
    expect(photos).toHaveLength(samples.length);
  });

  it("serves the stored WebP bytes with long-lived private cache headers (nosniff: tests/e2e/http-hardening)", async () => {
    for (const p of photos) {
      for (const [rendition, key] of [["thumb", p.thumb_key], ["display", p.display_key], ["master", p.master_key]] as const) {
        const response = await photoResponse(people.agentOtherDept.cookie, p.id, rendition);
        expect(response.status).toBe(200);
        expect(response.headers.get("Content-Type")).toBe("image/webp");
        const cache = response.headers.get("Cache-Control")!;
        expect(cache).toContain("immutable");
        expect(cache).toContain("private");
        expect(cache).not.toContain("public");
        expect(Number(/max-age=(\d+)/.exec(cache)![1])).toBeGreaterThanOrEqual(30 * 24 * 3600);
        const bytes = Buffer.from(await response.arrayBuffer());
        const stored = await fs.readFile(path.join(process.env.UPLOADS_DIR!, key));
        expect(bytes.equals(stored)).toBe(true);
        expect(response.headers.get("Content-Length")).toBe(String(stored.length));
        expect(bytes.toString("latin1", 0, 4)).toBe("RIFF");
        expect(bytes.toString("latin1", 8, 12)).toBe("WEBP");
      }
    }
  });

  it("never serves EXIF, GPS, XMP or IPTC, even from photos that carried them", async () => {
    // The uploads did carry them (so the checks below mean something).
    const gpsIn = await exifr.gps(await fs.readFile(`${SAMPLE_PHOTOS}/gps-DSCN0010.jpg`));
    expect(gpsIn?.latitude).toBeTypeOf("number");
    for (const p of photos) {
      for (const rendition of ["thumb", "display", "master"]) {
        const bytes = Buffer.from(await (await photoResponse(people.agentSameDept.cookie, p.id, rendition)).arrayBuffer());
        expect(bytes.includes(Buffer.from("Exif\0\0")), `${p.id} ${rendition}`).toBe(false);
        // WebP metadata chunks
        for (const chunk of ["EXIF", "XMP ", "ICCP"]) expect(bytes.includes(Buffer.from(chunk)), chunk).toBe(false);
        expect(bytes.includes(Buffer.from("http://ns.adobe.com"))).toBe(false);
        expect(bytes.includes(Buffer.from("Photoshop 3.0"))).toBe(false);
        const parsed = await exifr.parse(bytes, { tiff: true, xmp: true, iptc: true, gps: true }).catch(() => undefined);
        expect(parsed?.latitude).toBeUndefined();
        expect(parsed?.GPSLatitude).toBeUndefined();
        expect(await exifr.gps(bytes).catch(() => undefined)).toBeUndefined();
        const meta = await sharp(bytes).metadata();
        expect(meta.format).toBe("webp");
        expect(meta.exif).toBeUndefined();
        expect(meta.xmp).toBeUndefined();
        expect(meta.iptc).toBeUndefined();
        expect(meta.orientation ?? 1).toBe(1);
      }
    }
  });

  it("serves a photo upright (orientation applied) and sized per rendition", async () => {
    const rotated = photos[samples.indexOf("orientation-landscape_6.jpg")];
    const original = await sharp(await fs.readFile(`${SAMPLE_PHOTOS}/orientation-landscape_6.jpg`)).metadata();
    expect(original.orientation).toBe(6);
    // Orientation 6: stored portrait, shown landscape once rotated.
    expect(original.width!).toBeLessThan(original.height!);
    const master = await sharp(Buffer.from(await (await photoResponse(people.author.cookie, rotated.id, "master")).arrayBuffer())).metadata();
    expect(master.width!).toBeGreaterThan(master.height!);
    const thumb = await sharp(Buffer.from(await (await photoResponse(people.author.cookie, rotated.id, "thumb")).arrayBuffer())).metadata();
    expect(Math.max(thumb.width!, thumb.height!)).toBeLessThanOrEqual(400);
  });

  it("answers 304 to a matching If-None-Match, with no body, and 200 otherwise", async () => {
    const first = await photoResponse(people.agentOtherDept.cookie, photos[0].id, "display");
    const etag = first.headers.get("ETag")!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    await first.arrayBuffer();
    const again = await photoResponse(people.agentOtherDept.cookie, photos[0].id, "display", { "If-None-Match": etag });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    expect(again.headers.get("Cache-Control")).toContain("immutable");
    const other = await photoResponse(people.agentOtherDept.cookie, photos[0].id, "display", { "If-None-Match": '"0000"' });
    expect(other.status).toBe(200);
    // Renditions differ, and so do their ETags.
    const thumb = await photoResponse(people.agentOtherDept.cookie, photos[0].id, "thumb");
    expect(thumb.headers.get("ETag")).not.toBe(etag);
  });

  it("does not answer 304 to someone who may not see the photo", async () => {
    const draftPhoto = await photoResponse(people.author.cookie, photoIds.draft, "thumb");
    const etag = draftPhoto.headers.get("ETag")!;
    const response = await photoResponse(people.agentSameDept.cookie, photoIds.draft, "thumb", { "If-None-Match": etag });
    expect(response.status).toBe(404);
  });
});

describe("a department's feed, read by whoever oversees it", () => {
  const load = (who: Person, query: string) => run(() => feed.loader({ request: get(`/?${query}`, who.cookie), params: {}, context }));
  const idsOf = (body: { items: Packed<{ id: number }[]> }) => unpack(body.items).map((i) => Number(i.id));

  it("comms and organisation-wide managers choose a department and see its department-only items", async () => {
    for (const viewer of ["comms", "managerOrgWide"] as const) {
      const { status, body } = outcome(await load(people[viewer], `department=${deptA}`));
      expect(status, viewer).toBe(200);
      expect(body.scope).toBe("department");
      expect(body.departmentId).toBe(deptA);
      expect(unpack<{ id: number }[]>(body.departments).map((d) => d.id)).toContain(deptA);
      expect(idsOf(body)).toEqual(expect.arrayContaining([ids.approvedDepartment, ids.approvedOrganisation]));
      // Only approved items: nothing in review or refused shows in a feed.
      for (const c of ["draft", "submitted", "changes_requested", "rejected"] as const) expect(idsOf(body)).not.toContain(ids[c]);
    }
  });

  it("agents and managers of another department get 403, and no chooser", async () => {
    for (const viewer of ["agentOtherDept", "managerOtherDept", "adminOtherDept"] as const) {
      expect(outcome(await load(people[viewer], `department=${deptA}`)).status, viewer).toBe(403);
      const own = outcome(await load(people[viewer], ""));
      expect(unpack(own.body.departments), viewer).toEqual([]);
      expect(idsOf(own.body)).not.toContain(ids.approvedDepartment);
    }
    // Their own department, asked by number, is simply their feed.
    const same = outcome(await load(people.agentSameDept, `department=${deptA}`));
    expect(same.status).toBe(200);
    expect(idsOf(same.body)).toContain(ids.approvedDepartment);
  });

  it("answers 404 for a department that does not exist or a malformed one", async () => {
    expect(outcome(await load(people.comms, "department=999999")).status).toBe(404);
    expect(outcome(await load(people.comms, "department=abc")).status).toBe(404);
    expect(outcome(await load(people.agentSameDept, "department=-1")).status).toBe(404);
  });
});
