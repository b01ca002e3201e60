import { createReadableStreamFromReadable, type LoaderFunctionArgs } from "@remix-run/node";
import type { Readable } from "node:stream";
import { requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { storage } from "~/photos/storage.server";
import { exportFile } from "~/privacy/export.server";
import { idParam } from "~/utils/errors.server";

/** A ready data export, streamed from the storage, to the one who asked for it only (404 otherwise). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const file = await exportFile(db(), user, idParam(params.id));
  const stream = storage().createReadStream(file.key) as Readable;
  const day = file.createdAt.toISOString().slice(0, 10);
  return new Response(createReadableStreamFromReadable(stream), {
    status: 200,
    headers: {
      "Content-Type": "application/zip",
      "Content-Length": String(file.bytes),
      "Content-Disposition": `attachment; filename="relais-donnees-${day}.zip"`,
      "Cache-Control": "private, no-store",
    },
  });
}
