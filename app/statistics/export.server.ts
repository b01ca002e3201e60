import type { DB } from "~/db.server";
import { tFor } from "~/i18n/i18n";
import { CsvDecimal, csvDate, toCsv, type CsvValue } from "~/utils/csv.server";
import type { Period } from "./period";
import { contributorRows, type Scope } from "./statistics.server";

/**
 * The dashboard's table for the period as CSV for a French spreadsheet: one row per person (every
 * department's when the scope is the organisation), by department then name; dates dd/mm/yyyy,
 * the median time to decision in hours with a decimal comma. People who opted out of being named
 * in publications are named here as on the dashboard: it is their manager's table.
 */
export async function statisticsCsv(db: DB, scope: Scope, period: Pick<Period, "from" | "to">): Promise<string> {
  const t = tFor("fr");
  const f = (k: string) => t(`statistics.figures.${k}`);
  const header = [
    t("statistics.department"),
    t("statistics.person"),
    "Du",
    "Au",
    f("submitted"),
    f("approved"),
    f("published"),
    f("channels"),
    f("thanksReceived"),
    f("commentsWritten"),
    f("decisions"),
    `${f("medianDecision")} (heures)`,
  ];
  const rows = await contributorRows(db, scope.departmentId, period);
  return toCsv(
    header,
    rows.map((r): CsvValue[] => [
      r.departmentName,
      r.name,
      csvDate(period.from),
      csvDate(period.to),
      r.submitted,
      r.approved,
      r.published,
      r.channels.map((c) => `${c.name} (${c.published})`).join(", "),
      r.thanksReceived,
      r.commentsWritten,
      r.decisions,
      r.medianDecisionSeconds === null ? null : new CsvDecimal(r.medianDecisionSeconds / 3600, 1),
    ]),
  );
}
