/**
 * Photo benchmarks: `npx tsx scripts/bench/photos.ts`. Exits non-zero when a target is missed.
 *
 * (a) Ingest of a real phone photo through processPhoto against a bare sharp script doing the
 *     same rotate + three resizes + WebP encodes, interleaved in one run: target <= 1.3x.
 * (b) Peak memory growth while parseUpload streams a 25 MB upload to disk: target < 64 MB. The
 *     upload: a 24 MB JPEG of 49 MP, just under both limits.
 * (c) Then processPhoto ingesting it (checks, decode, renditions, storage), its peak memory growth
 *     against the bare sharp script's on the same file, alternated: target <= 1.3x. Decoding 49 MP
 *     needs memory whatever the code around it; what the code adds is what this measures.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Worker } from "node:worker_threads";
import sharp from "sharp";

import { SAMPLE_PHOTOS } from "../../tests/fixtures/photos";
const PHOTO = `${SAMPLE_PHOTOS}/mobile-HMD_Nokia_8.3_5G.jpg`;
const WARMUP = 3;
const RUNS = 15;
const MAX_RATIO = 1.3;
const MAX_UPLOAD_GROWTH_MB = 64;
const MB = 1024 * 1024;

// env() is read on first use: give it what it needs before any app code runs. The database is
// never contacted here.
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "relais-bench-"));
process.env.UPLOADS_DIR = workDir;
process.env.DATABASE_URL ??= "postgres://unused/bench";

const { processPhoto } = await import("../../app/photos/pipeline.server");
const { MASTER, RENDITION_KINDS } = await import("../../app/photos/renditions");
// The master and the renditions made at upload (all fitted "inside" today).
const RENDITIONS = [MASTER, RENDITION_KINDS.display, RENDITION_KINDS.thumb];
const { createDiskStorage } = await import("../../app/photos/storage.server");
const { discardTemps, parseUpload } = await import("../../app/photos/upload.server");

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

/** What a developer would write with sharp alone: same sizes, same qualities, no checks, no files. */
async function bareSharp(file: string): Promise<void> {
  const image = sharp(file).rotate();
  await Promise.all(
    RENDITIONS.map(({ size, quality }) =>
      image
        .clone()
        .resize({ width: size, height: size, fit: "inside", withoutEnlargement: true })
        .webp({ quality })
        .toBuffer(),
    ),
  );
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function benchIngest(): Promise<boolean> {
  const store = createDiskStorage(path.join(workDir, "store"));
  const ours = () => processPhoto(PHOTO, store);
  const bare = () => bareSharp(PHOTO);
  for (let i = 0; i < WARMUP; i++) {
    await ours();
    await bare();
  }
  const oursMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate who goes first, so neither always inherits the other's warm caches.
    if (i % 2 === 0) {
      oursMs.push(await timed(ours));
      bareMs.push(await timed(bare));
    } else {
      bareMs.push(await timed(bare));
      oursMs.push(await timed(ours));
    }
  }
  const a = median(oursMs);
  const b = median(bareMs);
  const ratio = a / b;
  const ok = ratio <= MAX_RATIO;
  console.log(
    `photo ingest: ${a.toFixed(0)} ms vs bare sharp ${b.toFixed(0)} ms = ${ratio.toFixed(2)}x (target <= ${MAX_RATIO}x) ${ok ? "OK" : "FAIL"}`,
  );
  return ok;
}

/** A multipart body read from `file` on the fly: the benchmark itself never holds the 25 MB. */
function multipartStream(boundary: string, file: string): ReadableStream<Uint8Array> {
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBench\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const fd = fs.openSync(file, "r");
  let started = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (!started) {
          controller.enqueue(new Uint8Array(head));
          started = true;
          return;
        }
        // A fresh 64 KB chunk each time, as a socket would hand over.
        const chunk = Buffer.alloc(64 * 1024);
        const read = fs.readSync(fd, chunk, 0, chunk.length, null);
        if (read > 0) {
          controller.enqueue(new Uint8Array(chunk.subarray(0, read)));
        } else {
          fs.closeSync(fd);
          controller.enqueue(new Uint8Array(tail));
          controller.close();
        }
      },
    },
    { highWaterMark: 1 },
  );
}

/** A JPEG of 7000 x 7000 px (49 MP) of noise that weighs about 24 MB: the largest photo accepted. */
async function largestPhoto(): Promise<string> {
  const file = path.join(workDir, "largest.jpg");
  const noise = { type: "gaussian" as const, mean: 128, sigma: 35 };
  await sharp({ create: { width: 7000, height: 7000, channels: 3, background: { r: 120, g: 140, b: 160 }, noise } })
    .jpeg({ quality: 85 })
    .toFile(file);
  return file;
}

/** Samples the process RSS every 2 ms from another thread, so a busy main thread cannot hide a peak. */
function startRssSampler(): { stop: () => Promise<number> } {
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     let peak = process.memoryUsage.rss();
     const timer = setInterval(() => { const rss = process.memoryUsage.rss(); if (rss > peak) peak = rss; }, 2);
     parentPort.on("message", () => { clearInterval(timer); parentPort.postMessage(Math.max(peak, process.memoryUsage.rss())); });`,
    { eval: true },
  );
  return {
    stop: () =>
      new Promise<number>((resolve) => {
        worker.once("message", (peak: number) => {
          void worker.terminate();
          resolve(peak);
        });
        worker.postMessage("stop");
      }),
  };
}

async function benchMemory(): Promise<boolean> {
  const photo = await largestPhoto();
  const fileBytes = fs.statSync(photo).size;
  if (fileBytes > 25 * MB || fileBytes < 20 * MB) throw new Error(`photo de ${fileBytes} octets : 20 à 25 Mo attendus`);
  const store = createDiskStorage(path.join(workDir, "store"));
  let worst = 0;
  for (let round = 0; round < 3; round++) {
    const boundary = `----relais${randomBytes(8).toString("hex")}`;
    const request = new Request("http://localhost/bench", {
      method: "POST",
      body: multipartStream(boundary, photo),
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      duplex: "half",
    } as RequestInit);
    gc();
    const sampler = startRssSampler();
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the sampler thread settle
    const baseline = process.memoryUsage.rss();
    const { files } = await parseUpload(request, { maxFiles: 10, fieldName: "photos" });
    const peak = await sampler.stop();
    if (files.length !== 1 || files[0].size !== fileBytes) throw new Error(`upload écrite de travers : ${JSON.stringify(files)}`);
    await discardTemps(files);
    worst = Math.max(worst, (peak - baseline) / MB);
  }
  const ok = worst < MAX_UPLOAD_GROWTH_MB;
  console.log(`upload of a ${(fileBytes / MB).toFixed(1)} MB photo: peak RSS growth ${worst.toFixed(1)} MB (target < ${MAX_UPLOAD_GROWTH_MB} MB) ${ok ? "OK" : "FAIL"}`);

  // (c) Ingest of that photo against bare sharp, each run three times, alternated.
  const growth = async (run: () => Promise<unknown>) => {
    gc();
    const sampler = startRssSampler();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const baseline = process.memoryUsage.rss();
    await run();
    return ((await sampler.stop()) - baseline) / MB;
  };
  let ours = 0;
  let bare = 0;
  for (let round = 0; round < 3; round++) {
    ours = Math.max(ours, await growth(() => processPhoto(photo, store)));
    bare = Math.max(bare, await growth(() => bareSharp(photo)));
  }
  const ratio = ours / bare;
  const ingestOk = ratio <= MAX_RATIO;
  console.log(
    `ingest of that 49 MP photo: peak RSS growth ${ours.toFixed(1)} MB vs bare sharp ${bare.toFixed(1)} MB = ${ratio.toFixed(2)}x ` +
      `(target <= ${MAX_RATIO}x) ${ingestOk ? "OK" : "FAIL"}`,
  );
  return ok && ingestOk;
}

try {
  // Memory first, before sharp's caches and thread pools have grown the process.
  const memoryOk = await benchMemory();
  const ingestOk = await benchIngest();
  process.exitCode = memoryOk && ingestOk ? 0 : 1;
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
}
