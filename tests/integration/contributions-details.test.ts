import fs from "node:fs/promises";
import exifr from "exifr";
import sharp from "sharp";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import { fr } from "~/i18n/fr";
import { PHOTO_MESSAGES } from "~/photos/pipeline.server";
import { unpack } from "~/utils/packed";
import * as page from "~/routes/contributions.$id._index";
import * as edit from "~/routes/contributions.$id.edit";
import * as create from "~/routes/contributions.new";
import * as photoRoute from "~/routes/photos.$id.$rendition";
import {
  SAMPLE_PHOTOS,
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
  viewers,
  type Viewer,
} from "../factories";

type Person = Awaited<ReturnType<typeof signedIn>>;

const row = (id: number) => db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const photosOf = (id: number) => db().selectFrom("photo").selectAll().where("contribution_id", "=", id).orderBy("position").execute();
const count = async (table: "contribution" | "photo") =>
  (await db().selectFrom(table).select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n;

function editAction(id: number, fields: Record<string, string | string[]>, who: Person, photos: [Blob, string][] = []) {
  const form = contributionForm({ title: "Titre", body: richDoc("Texte."), intent: "save", ...fields }, photos);
  return run(() => edit.action({ request: post(`/contributions/${id}/edit`, form, who.cookie), params: { id: String(id) }, context }));
}

const loadPage = (id: number, who: Person) =>
  run(() => page.loader({ request: get(`/contributions/${id}`, who.cookie), params: { id: String(id) }, context }));

const photoResponse = async (cookie: string, photoId: number, rendition: string) => {
  const request = new Request(`http://relais.test/photos/${photoId}/${rendition}`, { headers: { Cookie: cookie } });
  return (await run(() => photoRoute.loader({ request, params: { id: String(photoId), rendition }, context }))) as Response;
};

const photo = async (seed: number, size = 80): Promise<[Blob, string]> => [await fileBlob(await jpegBytes(seed, size)), `photo-${seed}.jpg`];

/** A dotted translation key looked up in the French messages. */
const french = (key: string): string => key.split(".").reduce((node: any, part) => node?.[part], fr);

let author: Person;
beforeAll(async () => {
  author = await signedIn("agent");
});

describe("photo details refused on edit: the message is by that photo's field, nothing changes", () => {
  const valid = { alt: "Deux agents devant la mairie", credit: "Service communication", rightsStatus: "no_person", rightsScope: "", rightsExpiresOn: "" };
  const cases: { name: string; field: string; values: Partial<typeof valid>; key: string }[] = [
    { name: "rights 'authorised' without a scope", field: "rightsScope", values: { rightsStatus: "authorised", rightsScope: "" }, key: "photos.errors.scopeRequired" },
    { name: "an expiry date that does not exist (30 February)", field: "rightsExpiresOn", values: { rightsStatus: "authorised", rightsScope: "internal", rightsExpiresOn: "2026-02-30" }, key: "photos.errors.expiry" },
    { name: "an expiry date that is not a date", field: "rightsExpiresOn", values: { rightsStatus: "authorised", rightsScope: "internal", rightsExpiresOn: "demain" }, key: "photos.errors.expiry" },
    { name: "an alt text of 1001 characters", field: "alt", values: { alt: "a".repeat(1001) }, key: "photos.errors.altTooLong" },
    { name: "a credit of 201 characters", field: "credit", values: { credit: "c".repeat(201) }, key: "photos.errors.creditTooLong" },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}: 400, error keyed photo.<id>.${c.field}, photo row and files unchanged`, async () => {
      const id = await newDraft(author.cookie, { title: "Avec photo" }, [await photo(1 + cases.indexOf(c))]);
      const [p] = await photosOf(id);
      const contributionBefore = await row(id);
      const photoBefore = await db().selectFrom("photo").selectAll().where("id", "=", p.id).executeTakeFirstOrThrow();
      const filesBefore = await filesUnder();
      const photosCount = await count("photo");

      const fields: Record<string, string> = { title: "Titre changé" };
      for (const [name, value] of Object.entries({ ...valid, ...c.values })) fields[`photo.${p.id}.${name}`] = value;
      // A new photo in the same request: its files must not stay either.
      const result = await editAction(id, fields, author, [await photo(50 + cases.indexOf(c), 120)]);
      const { status, body } = outcome(result);
      expect(status).toBe(400);
      expect(body.errors).toEqual({ [`photo.${p.id}.${c.field}`]: c.key });
      // The key has its French message.
      expect(french(c.key)).toMatch(/[éèàç]|\b(la|le|une|au plus)\b/);

      expect(await db().selectFrom("photo").selectAll().where("id", "=", p.id).executeTakeFirstOrThrow()).toEqual(photoBefore);
      expect(await row(id)).toEqual(contributionBefore);
      expect(await count("photo")).toBe(photosCount);
      expect(await filesUnder()).toEqual(filesBefore);
    });
  }

  it("control: the same details, valid, are saved on the photo row", async () => {
    const id = await newDraft(author.cookie, { title: "Avec photo" }, [await photo(9)]);
    const [p] = await photosOf(id);
    const fields: Record<string, string> = {};
    const values = { ...valid, rightsStatus: "authorised", rightsScope: "internal", rightsExpiresOn: "2028-02-29", alt: "a".repeat(1000), credit: "c".repeat(200) };
    for (const [name, value] of Object.entries(values)) fields[`photo.${p.id}.${name}`] = value;
    expect(((await editAction(id, fields, author)) as Response).status).toBe(302);
    expect((await photosOf(id))[0]).toMatchObject({
      alt_text: values.alt,
      credit: values.credit,
      rights_status: "authorised",
      rights_scope: "internal",
      rights_expires_on: "2028-02-29",
    });
  });
});

describe("an archived contribution is seen like an approved one (canView)", () => {
  const SEES_DEPARTMENT: Record<Viewer, boolean> = {
    author: true,
    agentSameDept: true,
    agentOtherDept: false,
    comms: true,
    managerSameDept: true,
    managerOtherDept: false,
    managerOrgWide: true,
    adminNoDept: false, // admins have no special right
    adminOtherDept: false,
  };
  let people: Record<Viewer, Person>;
  const ids = {} as Record<"department" | "organisation", { id: number; photoId: number }>;

  beforeAll(async () => {
    const deptA = await makeDepartment();
    const deptB = await makeDepartment();
    people = await viewers(deptA, deptB);
    let seed = 300;
    for (const visibility of ["department", "organisation"] as const) {
      const id = await newDraft(people.author.cookie, { title: `Archivée ${visibility}` }, [await photo(seed++)]);
      await approveDirectly(id, visibility);
      await db().updateTable("contribution").set({ status: "archived" }).where("id", "=", id).execute();
      const [p] = await photosOf(id);
      ids[visibility] = { id, photoId: p.id };
    }
  });

  for (const visibility of ["department", "organisation"] as const) {
    for (const viewer of Object.keys(SEES_DEPARTMENT) as Viewer[]) {
      const sees = visibility === "organisation" || SEES_DEPARTMENT[viewer];
      it(`${viewer} ${sees ? "sees" : "does not see"} an archived ${visibility}-wide contribution ${sees ? "and" : "nor"} its photo`, async () => {
        const who = people[viewer];
        const { id, photoId } = ids[visibility];
        expect((await row(id)).status).toBe("archived");
        const { status, body } = outcome(await loadPage(id, who));
        expect(status).toBe(sees ? 200 : 404);
        if (sees) expect(unpack(body.shown)).toMatchObject({ id, status: "archived", visibility });
        for (const rendition of ["thumb", "display", "master"]) {
          const response = await photoResponse(who.cookie, photoId, rendition);
          expect(response.status, rendition).toBe(sees ? 200 : 404);
          const bytes = Buffer.from(await response.arrayBuffer());
          if (sees) expect(bytes.toString("latin1", 8, 12)).toBe("WEBP");
          else expect(bytes.toString("latin1", 0, 4)).not.toBe("RIFF");
        }
      });
    }
  }
});

/** The chunks of a WebP (RIFF) file, walked by hand: "RIFF" size "WEBP", then id + LE size + data, padded to even. */
function riffChunks(data: Buffer): { id: string; payload: Buffer }[] {
  expect(data.toString("latin1", 0, 4)).toBe("RIFF");
  expect(data.toString("latin1", 8, 12)).toBe("WEBP");
  const riffEnd = 8 + data.readUInt32LE(4);
  expect(riffEnd).toBe(data.length);
  const chunks: { id: string; payload: Buffer }[] = [];
  let offset = 12;
  while (offset < riffEnd) {
    expect(offset + 8, "truncated chunk header").toBeLessThanOrEqual(riffEnd);
    const id = data.toString("latin1", offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    expect(offset + 8 + size, `chunk ${id} overruns the file`).toBeLessThanOrEqual(riffEnd);
    chunks.push({ id, payload: data.subarray(offset + 8, offset + 8 + size) });
    offset += 8 + size + (size & 1);
  }
  expect(offset).toBe(riffEnd);
  return chunks;
}

/** VP8X flags byte: bit 3 (0x08) = EXIF present, bit 2 (0x04) = XMP present, bit 5 (0x20) = ICC. */
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function metadataIn(data: Buffer) {
  const chunks = riffChunks(data);
  const vp8x = chunks.find((c) => c.id === "VP8X");
  const flags = vp8x ? vp8x.payload[0] : 0;
  return {
    ids: chunks.map((c) => c.id),
    exifChunk: chunks.some((c) => c.id === "EXIF"),
    xmpChunk: chunks.some((c) => c.id === "XMP "),
    exifFlag: (flags & VP8X_EXIF) !== 0,
    xmpFlag: (flags & VP8X_XMP) !== 0,
  };
}

describe("served photo bytes carry no EXIF, XMP or GPS", () => {
  const GPS_SAMPLES = ["gps-DSCN0010.jpg", "gps-DSCN0021.jpg"];

  it("positive control: the parser finds the EXIF and XMP chunks (and VP8X flags) of a WebP written with metadata", async () => {
    const original = await fs.readFile(`${SAMPLE_PHOTOS}/gps-DSCN0010.jpg`);
    const withExif = await sharp(original).keepExif().webp().toBuffer();
    const found = metadataIn(withExif);
    expect(found.exifChunk).toBe(true);
    expect(found.exifFlag).toBe(true);
    const withAll = await sharp(original).withMetadata().keepXmp().webp().toBuffer();
    expect(metadataIn(withAll)).toMatchObject({ exifChunk: true, exifFlag: true });
    const xmp = await sharp(await fs.readFile(`${SAMPLE_PHOTOS}/xmp-no_exif.jpg`)).keepXmp().webp().toBuffer();
    expect(metadataIn(xmp)).toMatchObject({ xmpChunk: true, xmpFlag: true });
    // And the GPS is in that EXIF chunk.
    const exif = riffChunks(withExif).find((c) => c.id === "EXIF")!.payload;
    const tiff = exif.toString("latin1", 0, 6) === "Exif\0\0" ? exif.subarray(6) : exif;
    expect((await exifr.gps(tiff))?.latitude).toBeCloseTo(43.467, 2);
  });

  it("every rendition of GPS-bearing photos, fetched through the photo route, has no EXIF/XMP chunk nor flag", async () => {
    const files: [Blob, string][] = [];
    for (const name of GPS_SAMPLES) {
      const gps = await exifr.gps(`${SAMPLE_PHOTOS}/${name}`);
      expect(gps?.latitude, `${name} carries GPS`).toEqual(expect.any(Number));
      files.push([await fileBlob(name), name]);
    }
    const id = await newDraft(author.cookie, { title: "Photos avec GPS" }, files);
    const photos = await photosOf(id);
    expect(photos).toHaveLength(GPS_SAMPLES.length);
    for (const p of photos) {
      for (const rendition of ["thumb", "display", "master"]) {
        const response = await photoResponse(author.cookie, p.id, rendition);
        expect(response.status).toBe(200);
        const bytes = Buffer.from(await response.arrayBuffer());
        const found = metadataIn(bytes);
        expect(found, `${p.id} ${rendition}: ${found.ids.join(",")}`).toMatchObject({ exifChunk: false, xmpChunk: false, exifFlag: false, xmpFlag: false });
        for (const id of found.ids) expect(["VP8 ", "VP8L", "VP8X", "ALPH"]).toContain(id);
        expect(bytes.includes("Exif\0\0")).toBe(false);
      }
    }
  });
});

describe("propose for external publication", () => {
  it("unticking it on edit sets propose_external back to false; ticking sets it true", async () => {
    const id = await newDraft(author.cookie, { title: "Externe", proposeExternal: "on" });
    expect((await row(id)).propose_external).toBe(true);

    // An unticked checkbox is simply absent from the form.
    expect(((await editAction(id, { title: "Externe" }, author)) as Response).status).toBe(302);
    expect((await row(id)).propose_external).toBe(false);

    expect(((await editAction(id, { title: "Externe", proposeExternal: "on" }, author)) as Response).status).toBe(302);
    expect((await row(id)).propose_external).toBe(true);

    expect(((await editAction(id, { title: "Externe" }, author)) as Response).status).toBe(302);
    expect((await row(id)).propose_external).toBe(false);
    // The edit page's checkbox shows it unticked.
    const form = outcome(await run(() => edit.loader({ request: get(`/contributions/${id}/edit`, author.cookie), params: { id: String(id) }, context }))).body;
    expect(form.c.propose_external).toBe(false);
  });
});

describe("event date and place", () => {
  it("are saved on the row and returned by the contribution page loader", async () => {
    const id = await newDraft(author.cookie, { title: "Forum des associations", eventDate: "2026-09-12", place: "  Gymnase Jean-Moulin  " });
    expect(await row(id)).toMatchObject({ event_date: "2026-09-12", place: "Gymnase Jean-Moulin" });
    let view = outcome(await loadPage(id, author));
    expect(view.status).toBe(200);
    expect(unpack(view.body.shown)).toMatchObject({ event_date: "2026-09-12", place: "Gymnase Jean-Moulin" });

    // Changed on edit, then seen by a colleague once approved.
    await editAction(id, { title: "Forum des associations", eventDate: "2026-09-19", place: "Salle des fêtes" }, author);
    expect(await row(id)).toMatchObject({ event_date: "2026-09-19", place: "Salle des fêtes" });
    await approveDirectly(id, "department");
    const colleague = await signedIn("agent", author.departmentId);
    view = outcome(await loadPage(id, colleague));
    expect(unpack(view.body.shown)).toMatchObject({ event_date: "2026-09-19", place: "Salle des fêtes" });
  });

  it("are cleared when emptied on edit", async () => {
    const id = await newDraft(author.cookie, { eventDate: "2026-07-14", place: "Parc" });
    await editAction(id, { eventDate: "", place: "   " }, author);
    expect(await row(id)).toMatchObject({ event_date: null, place: null });
    expect(unpack(outcome(await loadPage(id, author)).body.shown)).toMatchObject({ event_date: null, place: null });
  });

  it("an impossible event date is refused by its field, nothing stored", async () => {
    const before = await count("contribution");
    const form = contributionForm({ title: "Date fausse", body: richDoc("x"), intent: "save", eventDate: "2026-02-30" });
    const { status, body } = outcome(await run(() => create.action({ request: post("/contributions/new", form, author.cookie), params: {}, context })));
    expect(status).toBe(400);
    expect(body.errors).toEqual({ eventDate: "contributions.errors.eventDate" });
    expect(await count("contribution")).toBe(before);
  });
});

describe("a HEIC in disguise", () => {
  const heic = () => fs.readFile(`${SAMPLE_PHOTOS}/heic-IMG_5195.HEIC`);

  async function expectHeicRefusal(bytes: Buffer) {
    const before = { contributions: await count("contribution"), photos: await count("photo"), files: await filesUnder() };
    const blob = new Blob([new Uint8Array(bytes)], { type: "image/avif" });
    const form = contributionForm({ title: "Photo d'iPhone", body: richDoc("x"), intent: "save" }, [[blob, "IMG_5195.avif"]]);
    const { status, body } = outcome(await run(() => create.action({ request: post("/contributions/new", form, author.cookie), params: {}, context })));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(body.errors.photos).toEqual(["common.raw", { text: PHOTO_MESSAGES.heic }]);
    expect(body.errors.photos[1].text).toMatch(/HEIC.*JPEG/s);
    expect({ contributions: await count("contribution"), photos: await count("photo"), files: await filesUnder() }).toEqual(before);
  }

  it("a real iPhone HEIC named .avif and sent as image/avif gets the HEIC message, 4xx, no row, no file", async () => {
    const bytes = await heic();
    expect(bytes.toString("latin1", 4, 12)).toBe("ftypheic");
    await expectHeicRefusal(bytes);
  });

  it("the same HEIC with its ftyp major brand rewritten to 'avif' (HEVC inside) still gets the HEIC message", async () => {
    const bytes = Buffer.from(await heic());
    bytes.write("avif", 8, "latin1"); // major brand; the compatible brands stay "heic", "mif1"
    expect(bytes.toString("latin1", 4, 12)).toBe("ftypavif");
    await expectHeicRefusal(bytes);
  });
});
