/**
 * Photo benchmarks: `npx tsx scripts/bench/photos.ts`. Exits non-zero when a target is missed.
 *
 * (a) Ingest of a real phone photo through processPhoto against a bare sharp script doing the
 *     same rotate + three resizes + WebP encodes, interleaved in one run: target <= 1.3x.
 * (b) Peak memory growth while parseUpload streams a 25 MB upload to disk: target < 64 MB.
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

const { processPhoto, RENDITIONS } = await import("../../app/photos/pipeline.server");
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
    Object.values(RENDITIONS).map(({ size, quality }) =>
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

/** A multipart body generated on the fly: the benchmark itself never holds the 25 MB. */
function multipartStream(boundary: string, fileBytes: number): ReadableStream<Uint8Array> {
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBench\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="photos"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = randomBytes(64 * 1024);
  let sent = -1;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent < 0) {
          controller.enqueue(new Uint8Array(head));
          sent = 0;
        } else if (sent < fileBytes) {
          const size = Math.min(chunk.length, fileBytes - sent);
          // A fresh copy per chunk, as a socket would hand over.
          controller.enqueue(new Uint8Array(chunk.subarray(0, size)));
          sent += size;
        } else {
          controller.enqueue(new Uint8Array(tail));
          controller.close();
        }
      },
    },
    { highWaterMark: 1 },
  );
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

async function benchUpload(): Promise<boolean> {
  const fileBytes = 25 * MB - 4096; // just under the default limit: accepted and written whole
  let worst = 0;
  for (let round = 0; round < 3; round++) {
    const boundary = `----relais${randomBytes(8).toString("hex")}`;
    const request = new Request("http://localhost/bench", {
      method: "POST",
      body: multipartStream(boundary, fileBytes),
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
  console.log(`upload 25 MB: peak RSS growth ${worst.toFixed(1)} MB (target < ${MAX_UPLOAD_GROWTH_MB} MB) ${ok ? "OK" : "FAIL"}`);
  return ok;
}

try {
  // Memory first, before sharp's caches and thread pools have grown the process.
  const uploadOk = await benchUpload();
  const ingestOk = await benchIngest();
  process.exitCode = uploadOk && ingestOk ? 0 : 1;
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
}
