import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { getChannel } from "~/publishing/channels.server";
import { renderPublicationPhotos } from "~/publishing/delivery.server";
import { getPublication } from "~/publishing/queue.server";
import { idParam } from "~/utils/errors.server";

/** A photo of a publication cut for its channel, to download for the manual kit (comms and admins). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const p = await getPublication(db(), user, idParam(params.id));
  const photoId = idParam(params.photo);
  if (!p.photos.some((ph) => ph.photoId === photoId)) throw new Response("Not Found", { status: 404 });
  const channel = await getChannel(db(), user, p.channel.id);
  const [photo] = await renderPublicationPhotos(db(), p.id, channel, photoId);
  if (!photo) throw new Response("Not Found", { status: 404 });
  return new Response(new Uint8Array(photo.crop.data), {
    headers: {
      "Content-Type": photo.crop.mimeType,
      "Content-Disposition": `attachment; filename="publication-${p.id}-${photoId}.jpeg"`,
      "Cache-Control": "private, no-store",
    },
  });
}
