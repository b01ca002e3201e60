import type { LoaderFunctionArgs } from "@remix-run/node";
import { forbidden, requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { statisticsCsv } from "~/statistics/export.server";
import { dashboardScope, periodOf, statisticsQuerySchema } from "~/statistics/statistics.server";
import { attachment } from "~/utils/csv.server";
import { parseForm } from "~/utils/forms";

const plain = { "Content-Type": "text/plain; charset=utf-8" };

/** /statistics.csv?<the dashboard's query>: its table, under the dashboard's permissions. */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  if (user.role === "agent") throw forbidden();
  const parsed = parseForm(statisticsQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.ok) {
    throw new Response("Période ou service invalide : corrigez-les sur la page des statistiques.", { status: 400, headers: plain });
  }
  const scope = dashboardScope(user, parsed.data.department);
  if (scope.departmentId !== null && !(await db().selectFrom("department").select("id").where("id", "=", scope.departmentId).executeTakeFirst())) {
    throw new Response("Ce service n'existe pas.", { status: 400, headers: plain });
  }
  const period = periodOf(parsed.data);
  return new Response(await statisticsCsv(db(), scope, period), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": attachment(`statistiques-${period.from}-${period.to}.csv`),
      "Cache-Control": "private, no-store",
    },
  });
}
