import { createReadableStreamFromReadable, type LoaderFunctionArgs } from "@remix-run/node";
import type { Readable } from "node:stream";
import { requireUser } from "~/auth/guards.server";
import { openSignedForm } from "~/consent/consents.server";
import { db } from "~/db.server";
import { idParam } from "~/utils/errors.server";

/**
 * An authorisation's signed form, for comms and admins only (404 for anyone else, as for a missing
 * one). Always downloaded, never shown inside the site: a PDF is a document, not a page of ours.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const form = await openSignedForm(db(), user, idParam(params.id));
  return new Response(createReadableStreamFromReadable(form.stream as Readable), {
    status: 200,
    headers: {
      "Content-Type": form.type,
      "Content-Length": String(form.bytes),
      "Content-Disposition": `attachment; filename="${form.name}"`,
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
