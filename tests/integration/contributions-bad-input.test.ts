import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import sharp from "sharp";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import * as edit from "~/routes/contributions.$id.edit";
import * as create from "~/routes/contributions.new";
import {
  SAMPLE_PHOTOS,
  context,
  contributionForm,
  fileBlob,
  filesUnder,
  jpegBytes,
  newDraft,
  outcome,
  post,
  richDoc,
  run,
  signedIn,
} from "../factories";

type Agent = Awaited<ReturnType<typeof signedIn>>;

const count = async (table: "contribution" | "photo" | "contribution_event") =>
  (await db().selectFrom(table).select(sql<number>`count(*)::int`.as("n")).executeTakeFirstOrThrow()).n;

async function snapshot() {
  return { contributions: await count("contribution"), photos: await count("photo"), files: await filesUnder() };
}

// Words of French that an informative refusal uses (an English message would match none).
const FRENCH = /[éèàùçêô]|\b(le|la|les|un|une|des|du|est|pas|fichier|image|photos?|au|par|vous|texte|lien)\b/i;

/** Asserts a refusal: 4xx, a French message by `field`, and nothing stored anywhere (rows or files). */
async function expectRefused(
  result: unknown,
  before: Awaited<ReturnType<typeof snapshot>>,
  expected: { field: string; status?: number; key?: string; text?: RegExp },
) {
  const { status, body } = outcome(result);
  if (expected.status) expect(status).toBe(expected.status);
  expect(status).toBeGreaterThanOrEqual(400);
  expect(status).toBeLessThan(500);
  const message = body?.errors?.[expected.field];
  expect(message, JSON.stringify(body)).toBeDefined();
  if (expected.key) expect(Array.isArray(message) ? message[0] : message).toBe(expected.key);
  if (expected.text) {
    expect(message[0]).toBe("common.raw");
    expect(message[1].text).toMatch(FRENCH);
    expect(message[1].text).toMatch(expected.text);
  }
  expect(await snapshot()).toEqual(before);
}

let author: Agent;
beforeAll(async () => {
  author = await signedIn("agent");
});

function submitNew(form: FormData, cookie = author.cookie) {
  return run(() => create.action({ request: post("/contributions/new", form, cookie), params: {}, context }));
}

function submitEdit(id: number, form: FormData, cookie = author.cookie) {
  return run(() => edit.action({ request: post(`/contributions/${id}/edit`, form, cookie), params: { id: String(id) }, context }));
}

const baseFields = { title: "Fête du quartier", body: richDoc("Une belle journée."), tags: "fête", intent: "save" };

const withPhoto = (bytes: Uint8Array, name = "photo.jpg", type = "image/jpeg") => fileBlob(bytes, type).then((b): [Blob, string] => [b, name]);

describe("a refused photo: a clear French message next to the photos, 4xx, nothing stored", () => {
  const cases: { name: string; file: () => Promise<[Blob, string]>; status?: number; text: RegExp }[] = [
    {
      name: "a truncated / corrupted JPEG",
      file: async () => [await fileBlob("corrupted.jpg"), "corrupted.jpg"],
      text: /abîmée ou incomplète/,
    },
    {
      name: "a JPEG cut in half",
      file: async () => {
        const whole = await fs.readFile(`${SAMPLE_PHOTOS}/gps-DSCN0010.jpg`);
        return withPhoto(whole.subarray(0, Math.floor(whole.length / 2)), "half.jpg");
      },
      text: /abîmée ou incomplète/,
    },
    { name: "a 0-byte file", file: () => withPhoto(new Uint8Array(0), "vide.jpg"), text: /vide/ },
    {
      name: "a 30 MB file (random bytes behind a JPEG header)",
      file: () => withPhoto(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(30 * 1024 * 1024)]), "enorme.jpg"),
      status: 413,
      text: /dépasse 25 Mo/,
    },
    {
      name: "an SVG with a script",
      file: () =>
        withPhoto(
          Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'),
          "image.svg",
          "image/svg+xml",
        ),
      text: /n'est pas une image JPEG, PNG, WebP ou AVIF/,
    },
    {
      name: "an SVG renamed .jpg",
      file: () => withPhoto(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="5" height="5"/></svg>'), "photo.jpg"),
      text: /n'est pas une image JPEG, PNG, WebP ou AVIF/,
    },
    {
      name: "an HTML file renamed .jpg",
      file: () => withPhoto(Buffer.from("<!DOCTYPE html><html><body><script>fetch('/admin')</script></body></html>"), "photo.jpg"),
      text: /HTML|code/,
    },
    {
      name: "a PDF renamed .jpg",
      file: () =>
        withPhoto(
          Buffer.from(
            "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
              "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
          ),
          "scan.jpg",
        ),
      text: /n'est pas une image JPEG, PNG, WebP ou AVIF/,
    },
    {
      name: "a real JPEG with HTML appended",
      file: async () => {
        const jpeg = await fs.readFile(`${SAMPLE_PHOTOS}/Canon_40D.jpg`);
        return withPhoto(Buffer.concat([jpeg, Buffer.from("<html><body><script>alert(1)</script></body></html>")]), "polyglot.jpg");
      },
      text: /HTML|code/,
    },
    {
      name: "an iPhone HEIC photo (the message tells how to send a JPEG)",
      file: async () => [await fileBlob("heic-IMG_5195.HEIC", "image/heic"), "IMG_5195.HEIC"],
      text: /HEIC.*JPEG/s,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} when creating a draft`, async () => {
      const before = await snapshot();
      const result = await submitNew(contributionForm(baseFields, [await c.file()]));
      await expectRefused(result, before, { field: "photos", status: c.status, text: c.text });
    });
  }

  it("refuses a PNG that decodes to 200 megapixels (small file, huge image)", { timeout: 90_000 }, async () => {
    const png = await sharp({ create: { width: 14142, height: 14142, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .greyscale()
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(png.length).toBeLessThan(2 * 1024 * 1024); // the size limit is not what refuses it
    const meta = await sharp(png, { limitInputPixels: false }).metadata();
    expect(meta.width! * meta.height!).toBeGreaterThan(199_000_000);
    const before = await snapshot();
    const result = await submitNew(contributionForm(baseFields, [await withPhoto(png, "grand.png", "image/png")]));
    await expectRefused(result, before, { field: "photos", text: /trop grande.*50 mégapixels/ });
  });

  it("also refuses a bad photo added to an existing draft, which keeps its text and photos", async () => {
    const id = await newDraft(author.cookie, { title: "Avant" }, [await withPhoto(await jpegBytes(1))]);
    const row = await db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const before = await snapshot();
    const form = contributionForm({ ...baseFields, title: "Après" }, [[await fileBlob("corrupted.jpg"), "c.jpg"]]);
    await expectRefused(await submitEdit(id, form), before, { field: "photos", text: /abîmée/ });
    expect(await db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow()).toEqual(row);
  });
});

describe("one good photo and one bad photo in the same request", () => {
  it("stores nothing at all: the good photo's renditions are removed too", async () => {
    const before = await snapshot();
    const good = await withPhoto(await jpegBytes(2, 300), "bonne.jpg");
    const result = await submitNew(contributionForm(baseFields, [good, [await fileBlob("corrupted.jpg"), "mauvaise.jpg"]]));
    await expectRefused(result, before, { field: "photos", text: /abîmée/ });
  });

  it("stores nothing either when the bad one comes first", async () => {
    const before = await snapshot();
    const good = await withPhoto(await jpegBytes(3, 300), "bonne.jpg");
    const result = await submitNew(contributionForm(baseFields, [await withPhoto(new Uint8Array(0), "vide.jpg"), good]));
    await expectRefused(result, before, { field: "photos", text: /vide/ });
  });

  it("stores nothing when the photos are fine but the text is refused (their files are removed)", async () => {
    const before = await snapshot();
    const good = await withPhoto(await jpegBytes(4, 300), "bonne.jpg");
    const hostile = JSON.stringify({
      type: "doc",
      content: [{ type: "paragraph", content: [{ type: "text", text: "clic", marks: [{ type: "link", attrs: { href: "javascript:alert(1)" } }] }] }],
    });
    const result = await submitNew(contributionForm({ ...baseFields, body: hostile }, [good]));
    await expectRefused(result, before, { field: "body", text: /lien/ });
  });
});

describe("text fields", () => {
  it("refuses a 10,000-character title, with its message by the title", async () => {
    const before = await snapshot();
    const result = await submitNew(contributionForm({ ...baseFields, title: "T".repeat(10_000) }, [await withPhoto(await jpegBytes(5))]));
    await expectRefused(result, before, { field: "title", key: "contributions.errors.titleTooLong" });
  });

  it("refuses a 10,000-character title on an existing draft and keeps the old one", async () => {
    const id = await newDraft(author.cookie, { title: "Titre d'origine" });
    const before = await snapshot();
    const result = await submitEdit(id, contributionForm({ ...baseFields, title: "T".repeat(10_000) }));
    await expectRefused(result, before, { field: "title", key: "contributions.errors.titleTooLong" });
    expect((await db().selectFrom("contribution").select("title").where("id", "=", id).executeTakeFirstOrThrow()).title).toBe("Titre d'origine");
  });

  it("takes a long formatted text (99,000 characters, its JSON well over 200 KB) and refuses one over 100,000 by the body", async () => {
    // Paragraphs of 90 characters, every other word in bold: the editor's JSON is about 4 times the text.
    const words = (n: number) => Array.from({ length: n }, (_, i) => ({ type: "text", text: `mot${String(i).padStart(5, "0")} `, ...(i % 2 ? { marks: [{ type: "bold" }] } : {}) }));
    const body = (chars: number) => JSON.stringify({ type: "doc", content: Array.from({ length: Math.ceil(chars / 90) }, () => ({ type: "paragraph", content: words(10) })) });
    const long = body(99_000);
    expect(long.length).toBeGreaterThan(400 * 1024);
    const id = await newDraft(author.cookie, { body: long });
    const stored = await db().selectFrom("contribution").select("body_text").where("id", "=", id).executeTakeFirstOrThrow();
    expect(stored.body_text.length).toBeGreaterThan(98_000);
    expect(stored.body_text.length).toBeLessThanOrEqual(100_000);

    const before = await snapshot();
    const result = await submitNew(contributionForm({ ...baseFields, body: body(101_000) }));
    await expectRefused(result, before, { field: "body", status: 400, text: /trop long.*100 000/ });
  });

  const para = (content: unknown[], attrs?: Record<string, unknown>) => ({ type: "paragraph", ...(attrs ? { attrs } : {}), content });
  const doc = (...content: unknown[]) => JSON.stringify({ type: "doc", content });
  const link = (href: string, extra: Record<string, unknown> = {}) => ({
    type: "text",
    text: "cliquez ici",
    marks: [{ type: "link", attrs: { href, ...extra } }],
  });

  const hostile: { name: string; body: string; text: RegExp }[] = [
    { name: "a javascript: link", body: doc(para([link("javascript:alert(document.cookie)")])), text: /lien.*http/ },
    { name: "a JavaScript: link in capitals with spaces", body: doc(para([link("  JavaScript:alert(1)")])), text: /lien/ },
    { name: "a java\\tscript: link", body: doc(para([link("java\tscript:alert(1)")])), text: /lien/ },
    { name: "a data: link", body: doc(para([link("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==")])), text: /lien/ },
    { name: "a vbscript: link", body: doc(para([link("vbscript:msgbox(1)")])), text: /lien/ },
    { name: "an onclick attribute on a paragraph", body: doc(para([{ type: "text", text: "x" }], { onclick: "alert(1)" })), text: /attribut.*onclick/ },
    { name: "an onmouseover attribute on a link", body: doc(para([link("https://example.org", { onmouseover: "alert(1)" })])), text: /attribut/ },
    { name: "a style attribute", body: doc(para([{ type: "text", text: "x" }], { style: "background:url(javascript:alert(1))" })), text: /attribut/ },
    { name: "an unknown node (script)", body: doc({ type: "script", content: [{ type: "text", text: "alert(1)" }] }), text: /élément non autorisé.*script/ },
    { name: "an unknown node (image)", body: doc({ type: "image", attrs: { src: "https://evil.example/x.png" } }), text: /élément non autorisé/ },
    { name: "an unknown node (iframe)", body: doc({ type: "iframe", attrs: { src: "javascript:alert(1)" } }), text: /élément non autorisé/ },
    { name: "an unknown mark", body: doc(para([{ type: "text", text: "x", marks: [{ type: "textStyle", attrs: { color: "red" } }] }])), text: /mise en forme/ },
    { name: "a heading of level 1", body: doc({ type: "heading", attrs: { level: 1 }, content: [{ type: "text", text: "x" }] }), text: /titres/ },
    { name: "raw HTML instead of JSON", body: '<p onclick="alert(1)">x</p><script>alert(1)</script>', text: /format invalide/ },
    { name: "JSON that is not a document", body: JSON.stringify([{ type: "paragraph" }]), text: /document/ },
  ];

  for (const h of hostile) {
    it(`refuses rich text with ${h.name}: a French message by the body, nothing stored`, async () => {
      const before = await snapshot();
      const result = await submitNew(contributionForm({ ...baseFields, body: h.body }));
      await expectRefused(result, before, { field: "body", text: h.text });
    });
  }

  it("never lets hostile rich text replace an existing draft's stored body", async () => {
    const id = await newDraft(author.cookie, { body: richDoc("Texte sain.") });
    const row = await db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const before = await snapshot();
    for (const h of hostile) {
      const result = await submitEdit(id, contributionForm({ ...baseFields, body: h.body }));
      await expectRefused(result, before, { field: "body", text: h.text });
    }
    const after = await db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(after).toEqual(row);
    expect(after.body_html).toBe("<p>Texte sain.</p>");
  });
});

describe("alt text at submission", () => {
  it("refuses to submit a draft whose photo has no alt text: 400, still a draft, nothing of that edit kept", async () => {
    const id = await newDraft(author.cookie, { title: "Sortie au musée" }, [await withPhoto(await jpegBytes(6))]);
    const [photo] = await db().selectFrom("photo").selectAll().where("contribution_id", "=", id).execute();
    const row = await db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const events = await count("contribution_event");
    const before = await snapshot();

    // The submission also changes the title, the credit and adds a photo: none of it may stay.
    const form = contributionForm(
      {
        ...baseFields,
        title: "Sortie au musée (modifiée)",
        intent: "submit",
        [`photo.${photo.id}.alt`]: "   ",
        [`photo.${photo.id}.credit`]: "Service com",
        [`photo.${photo.id}.rightsStatus`]: "no_person",
      },
      [await withPhoto(await jpegBytes(7, 200), "nouvelle.jpg")],
    );
    const result = await submitEdit(id, form);
    const { status, body } = outcome(result);
    expect(status).toBe(400);
    expect(body.errors.form[0]).toBe("contributions.errors.altMissing");
    // The photo sent with it has no alt text either: both are named.
    expect(body.errors.form[1]).toEqual({ positions: "1, 2", count: 2 });

    expect(await snapshot()).toEqual(before); // the new photo's files are gone too
    expect(await db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow()).toEqual(row);
    expect(await db().selectFrom("photo").selectAll().where("contribution_id", "=", id).execute()).toEqual([photo]);
    expect(await count("contribution_event")).toBe(events);
    const submittedNotes = await db().selectFrom("notification").select("id").where("contribution_id", "=", id).execute();
    expect(submittedNotes).toHaveLength(0);
  });

  it("names every photo that lacks its alt text", async () => {
    const id = await newDraft(author.cookie, {}, [
      await withPhoto(await jpegBytes(8)),
      await withPhoto(await jpegBytes(9)),
      await withPhoto(await jpegBytes(10)),
    ]);
    const photos = await db().selectFrom("photo").select("id").where("contribution_id", "=", id).orderBy("position").execute();
    const form = contributionForm({ ...baseFields, intent: "submit", [`photo.${photos[1].id}.alt`]: "Un groupe devant le musée" });
    const { status, body } = outcome(await submitEdit(id, form));
    expect(status).toBe(400);
    expect(body.errors).toEqual({
      form: ["contributions.errors.altMissing", { positions: "1, 3", count: 2 }],
      // Next to each photo's own alt field too.
      [`photo.${photos[0].id}.alt`]: "photos.errors.altRequired",
      [`photo.${photos[2].id}.alt`]: "photos.errors.altRequired",
    });
    expect((await db().selectFrom("contribution").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status).toBe("draft");
    // The alt text typed in the refused submission is not kept either.
    const alts = await db().selectFrom("photo").select("alt_text").where("contribution_id", "=", id).orderBy("position").execute();
    expect(alts.map((a) => a.alt_text)).toEqual(["", "", ""]);
  });
});

describe("the 11th photo", () => {
  it("is refused on a draft that has 10: still 10 photos, no new file", async () => {
    const ten: [Blob, string][] = [];
    for (let i = 0; i < 10; i++) ten.push(await withPhoto(await jpegBytes(20 + i), `p${i}.jpg`));
    const id = await newDraft(author.cookie, { title: "Dix photos" }, ten);
    expect(await db().selectFrom("photo").select("id").where("contribution_id", "=", id).execute()).toHaveLength(10);
    const row = await db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const before = await snapshot();

    const result = await submitEdit(id, contributionForm({ ...baseFields, title: "Onze photos" }, [await withPhoto(await jpegBytes(40), "onze.jpg")]));
    await expectRefused(result, before, { field: "photos", text: /10 photos au maximum/ });
    expect(await db().selectFrom("photo").select("id").where("contribution_id", "=", id).execute()).toHaveLength(10);
    expect(await db().selectFrom("contribution").selectAll().where("id", "=", id).executeTakeFirstOrThrow()).toEqual(row);
  });

  it("gets the same message with the Content-Length a browser sends, even for a big 11th photo", async () => {
    const ten: [Blob, string][] = [];
    for (let i = 0; i < 10; i++) ten.push(await withPhoto(await jpegBytes(60 + i), `p${i}.jpg`));
    const id = await newDraft(author.cookie, { title: "Dix photos encore" }, ten);
    const before = await snapshot();
    // A 2 MB phone photo as the 11th: browsers announce the body's length.
    const form = contributionForm({ ...baseFields }, [[await fileBlob("mobile-HMD_Nokia_8.3_5G.jpg"), "IMG_2001.jpg"]]);
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    const request = new Request(`http://relais.test/contributions/${id}/edit`, {
      method: "POST",
      body,
      headers: {
        Origin: "http://relais.test",
        Cookie: author.cookie,
        "Content-Type": encoded.headers.get("content-type")!,
        "Content-Length": String(body.length),
      },
    });
    const result = await run(() => edit.action({ request, params: { id: String(id) }, context }));
    await expectRefused(result, before, { field: "photos", text: /10 photos au maximum/ });
  });

  it("is refused when 11 photos come in the very first request", async () => {
    const eleven: [Blob, string][] = [];
    for (let i = 0; i < 11; i++) eleven.push(await withPhoto(await jpegBytes(50 + i), `p${i}.jpg`));
    const before = await snapshot();
    await expectRefused(await submitNew(contributionForm(baseFields, eleven)), before, { field: "photos", text: /10 photos au maximum/ });
  });
});
