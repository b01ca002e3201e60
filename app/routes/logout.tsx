import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { getSession } from "~/auth/guards.server";
import { blankSessionCookie, endSession } from "~/auth/session.server";

export async function action({ request }: ActionFunctionArgs) {
  const current = await getSession(request);
  if ("session" in current) await endSession(current.session.id);
  return redirect("/login", { headers: { "Set-Cookie": blankSessionCookie(request) } });
}

export async function loader() {
  return redirect("/");
}
