import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PhotoError } from "./pipeline.server";
import { tmpDir } from "./storage.server";
import { discardTemps, MAX_TEXT_FIELD_BYTES, parseUpload } from "./upload.server";

import { SAMPLE_PHOTOS as PHOTOS } from "../../tests/fixtures/photos";
import { refusal } from "../../tests/fixtures/photo-errors";
const MB = 1024 * 1024;

function photoBlob(name: string): Blob {
  return new Blob([fs.readFileSync(path.join(PHOTOS, name))], { type: "image/jpeg" });
}

function post(form: FormData): Request {
  return new Request("http://localhost/contributions/1/photos", { method: "POST", body: form });
}

const temps = () => fs.readdirSync(tmpDir());

afterEach(() => {
  // Each test starts from an empty temp folder and must leave it empty itself (checked inside).
  for (const name of temps()) fs.rmSync(path.join(tmpDir(), name));
});

describe("parseUpload", () => {
  it("streams two photos to two temp files of the right size and content, and keeps text fields", async () => {
    const form = new FormData();
    form.append("title", "Fête du service");
    form.append("photos", photoBlob("gps-DSCN0010.jpg"), "IMG_0001.jpg");
    form.append("photos", photoBlob("mobile-jolla.jpg"), "../../../etc/passwd");

    const { form: parsed, files } = await parseUpload(post(form), { maxFiles: 10, fieldName: "photos" });

    expect(parsed.get("title")).toBe("Fête du service");
    expect(files).toHaveLength(2);
    const expected = ["gps-DSCN0010.jpg", "mobile-jolla.jpg"].map((name) => fs.readFileSync(path.join(PHOTOS, name)));
    files.forEach((file, i) => {
      expect(path.dirname(file.path)).toBe(tmpDir());
      // Random names: nothing of the client's file name reaches the disk.
      expect(path.basename(file.path)).toMatch(/^upload-[0-9a-f]{32}$/);
      expect(file.size).toBe(expected[i].length);
      expect(fs.statSync(file.path).size).toBe(expected[i].length);
      expect(fs.readFileSync(file.path).equals(expected[i])).toBe(true);
    });
    // The files are the caller's through `files`; the form holds only the text fields.
    expect(parsed.getAll("photos")).toEqual([]);

    await discardTemps(files);
    expect(temps()).toEqual([]);
    await discardTemps(files); // twice is fine
  });

  it("ignores the empty part a browser sends for an untouched file input", async () => {
    // What Chromium and Firefox send: filename="" and no bytes.
    const boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    const canon = fs.readFileSync(path.join(PHOTOS, "Canon_40D.jpg"));
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nSortie\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="canon.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      canon,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const request = new Request("http://localhost/", {
      method: "POST",
      body,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    const { files, form } = await parseUpload(request, { maxFiles: 1, fieldName: "photos" });
    expect(files).toHaveLength(1);
    expect(files[0].size).toBe(canon.length);
    expect(form.getAll("photos")).toEqual([]);
    expect(form.get("title")).toBe("Sortie");
    await discardTemps(files);
  });

  it("ignores the empty part Node's FormData sends for a nameless empty Blob", async () => {
    const form = new FormData();
    form.append("photos", new Blob([]), "");
    form.append("photos", photoBlob("Canon_40D.jpg"), "canon.jpg");
    const { files, form: parsed } = await parseUpload(post(form), { maxFiles: 1, fieldName: "photos" });
    expect(files).toHaveLength(1);
    expect(parsed.getAll("photos")).toEqual([]);
    await discardTemps(files);
  });

  it("keeps a chosen 0-byte file (the pipeline refuses it with its own message)", async () => {
    const form = new FormData();
    form.append("photos", new Blob([]), "vide.jpg");
    const { files } = await parseUpload(post(form), { maxFiles: 10, fieldName: "photos" });
    expect(files).toHaveLength(1);
    expect(files[0].size).toBe(0);
    await discardTemps(files);
  });

  it("a 30 MB file against the default 25 MB limit → 413, and no temp file left", async () => {
    const form = new FormData();
    form.append("photos", photoBlob("gps-DSCN0021.jpg"), "petite.jpg"); // written first, must go too
    form.append("photos", new Blob([Buffer.alloc(30 * MB, 0xab)], { type: "image/jpeg" }), "enorme.jpg");
    const request = post(form);
    const error = await refusal(parseUpload(request, { maxFiles: 10, fieldName: "photos" }));
    expect(error.code).toBe("too_large");
    expect(error.status).toBe(413);
    expect(error.message).toBe("Le fichier dépasse 25 Mo.");
    expect(temps()).toEqual([]);
  });

  it("refuses as soon as the declared length cannot fit", async () => {
    const form = new FormData();
    form.append("photos", new Blob([Buffer.alloc(6 * MB)]), "a.jpg"); // over 1 MB of photo + 4 MB of text
    const body = await new Response(form).arrayBuffer();
    const contentType = new Response(form).headers.get("content-type")!;
    const request = new Request("http://localhost/", {
      method: "POST",
      body,
      headers: { "content-type": contentType, "content-length": String(body.byteLength) },
    });
    const error = await refusal(parseUpload(request, { maxFiles: 1, fieldName: "photos", maxFileBytes: 1 * MB }));
    expect(error.status).toBe(413);
    expect(error.message).toBe("Le fichier dépasse 1 Mo.");
    expect(temps()).toEqual([]);
  });

  it("11 files with maxFiles 10 → refused, and no temp file left", async () => {
    const form = new FormData();
    for (let i = 0; i < 11; i++) form.append("photos", photoBlob("Canon_40D.jpg"), `photo-${i}.jpg`);
    const error = await refusal(parseUpload(post(form), { maxFiles: 10, fieldName: "photos" }));
    expect(error.code).toBe("too_many_files");
    expect(error.status).toBe(400);
    expect(error.message).toBe("10 photos au maximum par contribution.");
    expect(temps()).toEqual([]);
  });

  it("tells how many photos remain when the contribution already has some", async () => {
    const form = new FormData();
    for (let i = 0; i < 3; i++) form.append("photos", photoBlob("Canon_40D.jpg"), `photo-${i}.jpg`);
    const error = await refusal(parseUpload(post(form), { maxFiles: 2, fieldName: "photos" }));
    expect(error.message).toBe("10 photos au maximum par contribution. Vous pouvez encore en ajouter 2.");
    expect(temps()).toEqual([]);
  });

  it("ignores files sent under another field name (read through, not stored)", async () => {
    const form = new FormData();
    form.append("avatar", photoBlob("Canon_40D.jpg"), "a.jpg");
    form.append("photos", photoBlob("Canon_40D.jpg"), "b.jpg");
    const { files, form: parsed } = await parseUpload(post(form), { maxFiles: 10, fieldName: "photos" });
    expect(files).toHaveLength(1);
    expect(parsed.get("avatar")).toBeNull();
    expect(temps()).toEqual([path.basename(files[0].path)]);
    await discardTemps(files);
  });

  it("bounds text fields (kept in memory): 3 MB each", async () => {
    const form = new FormData();
    form.append("photos", photoBlob("Canon_40D.jpg"), "a.jpg");
    form.append("body", "x".repeat(MAX_TEXT_FIELD_BYTES + 1));
    const error = await refusal(parseUpload(post(form), { maxFiles: 10, fieldName: "photos" }));
    expect(error.code).toBe("form_too_large");
    expect(error.status).toBe(413);
    expect(temps()).toEqual([]);
  });

  it("bounds text fields together: 4 MB", async () => {
    const form = new FormData();
    for (let i = 0; i < 4; i++) form.append(`field${i}`, "y".repeat(MAX_TEXT_FIELD_BYTES - 1024));
    const error = await refusal(parseUpload(post(form), { maxFiles: 10, fieldName: "photos" }));
    expect(error.code).toBe("form_too_large");
  });

  it("a body cut short (interrupted upload) → PhotoError, and no temp file left", async () => {
    const form = new FormData();
    form.append("photos", photoBlob("gps-DSCN0010.jpg"), "a.jpg");
    form.append("photos", photoBlob("mobile-jolla.jpg"), "b.jpg");
    const full = new Response(form);
    const contentType = full.headers.get("content-type")!;
    const body = Buffer.from(await full.arrayBuffer());
    const request = new Request("http://localhost/", {
      method: "POST",
      body: body.subarray(0, body.length - 300_000), // inside the second file
      headers: { "content-type": contentType },
    });
    const error = await refusal(parseUpload(request, { maxFiles: 10, fieldName: "photos" }));
    expect(error.code).toBe("corrupt");
    expect(temps()).toEqual([]);
  });

  it("refuses a request that is not multipart with 415 and a French message", async () => {
    const request = new Request("http://localhost/", { method: "POST", body: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    const error = await parseUpload(request, { maxFiles: 10, fieldName: "photos" }).catch((e) => e);
    expect(error).toBeInstanceOf(PhotoError);
    expect(error.status).toBe(415);
    expect(error.message).toBe("Le formulaire doit être envoyé en multipart/form-data.");
  });
});
