import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { openNotification } from "~/notifications/notifications.server";
import { idParam } from "~/utils/errors.server";

/** Opening a notification from the list: it is read from then on, and leads to its subject. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const { link } = await openNotification(db(), user, idParam(params.id));
  return redirect(link ?? "/notifications");
}
