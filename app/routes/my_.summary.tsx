import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { PeriodForm, TotalsTable } from "~/components/statistics";
import { requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { previousPeriod } from "~/statistics/period";
import { periodOf, personalSummary, statisticsQuerySchema } from "~/statistics/statistics.server";
import { useDates } from "~/utils/dates";
import { parseForm, withoutNul } from "~/utils/forms";

export const meta: MetaFunction = () => [{ title: "Mon bilan · Relais" }];

/**
 * /my/summary?period=&from=&to=: the signed-in person's own figures and their department's
 * totals, never anyone else's individual figures (there is no parameter naming a person).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const raw = Object.fromEntries(new URL(request.url).searchParams);
  // This page has no department choice: one in the address is ignored.
  const { department: _, ...rest } = raw;
  const parsed = parseForm(statisticsQuerySchema, rest);
  if (!parsed.ok) {
    const values = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, withoutNul(v).slice(0, 40)]));
    return data({ values, errors: parsed.errors, summary: null, previous: null, period: null, previousRange: null }, { status: 400 });
  }
  const period = periodOf(parsed.data);
  const previousRange = previousPeriod(period);
  const [summary, previous] = await Promise.all([personalSummary(db(), user, period), personalSummary(db(), user, previousRange)]);
  return data({ values: { ...parsed.data, from: period.from, to: period.to }, errors: null, summary, previous, period, previousRange });
}

export default function MySummary() {
  const { values, errors, summary, previous, period, previousRange } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const dates = useDates();
  return (
    <div className="stack statistics">
      <h1>{t("statistics.summary.title")}</h1>
      <p>{t("statistics.summary.intro")}</p>
      <PeriodForm action="/my/summary" values={values} errors={errors} />
      {summary && previous && period && previousRange ? (
        <>
          <p>
            {t("statistics.covers", {
              from: dates.date(period.from),
              to: dates.date(period.to),
              prevFrom: dates.date(previousRange.from),
              prevTo: dates.date(previousRange.to),
            })}
          </p>
          <p className="no-print">
            <button type="button" className="secondary" onClick={() => window.print()}>
              {t("statistics.summary.print")}
            </button>
          </p>
          <section className="card" aria-labelledby="mine">
            <h2 id="mine">{t("statistics.summary.mine")}</h2>
            <TotalsTable caption={t("statistics.summary.mine")} current={summary.mine} previous={previous.mine} />
            {summary.channels.length > 0 ? (
              <p>
                {t("statistics.figures.channels")} : {summary.channels.map((c) => `${c.name} (${c.published})`).join(", ")}
              </p>
            ) : null}
          </section>
          <section className="card" aria-labelledby="my-department">
            {summary.department && previous.department ? (
              <>
                <h2 id="my-department">{t("statistics.summary.myDepartment", { name: summary.department.name })}</h2>
                <TotalsTable
                  caption={t("statistics.totalsOf", { name: summary.department.name })}
                  current={summary.department.totals}
                  previous={previous.department.totals}
                />
              </>
            ) : (
              <p id="my-department">{t("statistics.summary.noDepartment")}</p>
            )}
          </section>
        </>
      ) : null}
    </div>
  );
}
