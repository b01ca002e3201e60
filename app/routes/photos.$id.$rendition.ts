import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { RENDITION_NAMES, servePhoto, type RenditionName } from "~/photos/serve.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const id = Number(params.id);
  const rendition = params.rendition as RenditionName;
  if (!Number.isSafeInteger(id) || !RENDITION_NAMES.includes(rendition)) throw new Response("Not Found", { status: 404 });
  return servePhoto(db(), user, id, rendition, request);
}
