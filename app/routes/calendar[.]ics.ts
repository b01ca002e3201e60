import type { LoaderFunctionArgs } from "@remix-run/node";
import { db } from "~/db.server";
import { calendarForToken } from "~/publishing/calendar-feed.server";

/** A comms member's editorial calendar for calendar applications: /calendar.ics?token=… (404 without a valid token). */
export async function loader({ request }: LoaderFunctionArgs) {
  const calendar = await calendarForToken(db(), new URL(request.url).searchParams.get("token"));
  if (!calendar) throw new Response("Not Found", { status: 404 });
  return new Response(calendar.body, {
    headers: { "Content-Type": calendar.contentType, "Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex" },
  });
}
