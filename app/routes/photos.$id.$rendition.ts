import type { LoaderFunctionArgs } from "@remix-run/node";
import { contentVersion, requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { servePhoto } from "~/photos/serve.server";
import { idParam } from "~/utils/errors.server";

/** A photo's master or one of its renditions by kind (app/photos/renditions.ts); any other name is a 404. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return servePhoto(db(), user, idParam(params.id), params.rendition ?? "", request, await contentVersion(request));
}
