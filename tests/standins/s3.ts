import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { createS3Client, type S3Settings } from "~/photos/storage.server";

// An S3-compatible server (s3rver, objects as files in a temp folder) on 127.0.0.1, in the test
// process: no S3 server can be installed from npm or Debian, and tests make no request elsewhere.

export interface S3Standin {
  endpoint: string;
  /** Settings for a new, empty bucket of this server. */
  newBucket(): Promise<S3Settings>;
  /** The environment variables that make an instance use `bucket` (STORAGE=s3…). */
  envFor(bucket: S3Settings): Record<string, string>;
  close(): Promise<void>;
}

export async function startS3Standin(): Promise<S3Standin> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "relais-s3-"));
  // s3rver checks signatures made with its fixed key pair (S3RVER / S3RVER).
  const server = new S3rver({ address: "127.0.0.1", port: 0, directory, silent: true });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    async newBucket() {
      const settings: S3Settings = {
        endpoint,
        region: "us-east-1",
        bucket: `relais-${randomBytes(6).toString("hex")}`,
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
      };
      const client = createS3Client(settings);
      await client.send(new CreateBucketCommand({ Bucket: settings.bucket }));
      client.destroy();
      return settings;
    },
    envFor(bucket) {
      return {
        STORAGE: "s3",
        S3_ENDPOINT: bucket.endpoint!,
        S3_REGION: bucket.region,
        S3_BUCKET: bucket.bucket,
        S3_ACCESS_KEY_ID: bucket.accessKeyId,
        S3_SECRET_ACCESS_KEY: bucket.secretAccessKey,
      };
    },
    async close() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
