import type { LoaderFunctionArgs } from "@remix-run/node";
import { db } from "~/db.server";
import { calendarForToken } from "~/publishing/calendar-feed.server";

/** A comms member's editorial calendar for calendar applications: /calendar.ics?token=… (404 without a valid token). */
export async function loader({ request }: LoaderFunctionArgs) {
  const calendar = await calendarForToken(db(), new URL(request.url).searchParams.get("token"));
  if (!calendar) throw new Response("Not Found", { status: 404 });
  // The kept bytes as the stream's one chunk: a Uint8Array or Blob body is copied for each answer
  // (~0.5 MB a poll, which under load held up to 70 MB of the server's memory), a chunk is not.
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(calendar.bytes);
      controller.close();
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": calendar.contentType,
      "Content-Length": String(calendar.bytes.byteLength),
      "Cache-Control": "private, no-cache",
      "X-Robots-Tag": "noindex",
    },
  });
}
