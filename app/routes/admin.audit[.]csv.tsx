import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { auditFiltersSchema, exportAuditCsv } from "~/privacy/audit-log.server";
import { todayIn } from "~/utils/dates";
import { attachment } from "~/utils/csv.server";
import { env } from "~/env.server";
import { parseForm } from "~/utils/forms";

/** /admin/audit.csv?<the page's filters>: every entry they select, for a French spreadsheet. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const parsed = parseForm(auditFiltersSchema, Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.ok) {
    throw new Response("Filtres invalides : corrigez-les sur la page du journal d'audit.", { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
  return new Response(exportAuditCsv(db(), parsed.data), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": attachment(`journal-audit-${todayIn(env().ORGANISATION_TIME_ZONE)}.csv`),
      "Cache-Control": "private, no-store",
    },
  });
}
