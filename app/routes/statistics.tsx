import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { KeptMarkup } from "~/components/kept-markup";
import { PeriodForm } from "~/components/statistics";
import { DashboardFigures } from "~/components/statistics-dashboard";
import { forbidden, requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { departmentChoices } from "~/organisation/departments.server";
import { dashboard, dashboardScope, periodOf, seesEveryDepartment, statisticsQuerySchema } from "~/statistics/statistics.server";
import { useOrganisationTimeZone } from "~/utils/dates";
import { parseForm, withoutNul } from "~/utils/forms";
import { pack, shownAsMarkup, unpack } from "~/utils/packed";

export const meta: MetaFunction = () => [{ title: "Statistiques · Relais" }];

/**
 * /statistics?period=&from=&to=&department=: managers see their department; managers without a
 * department, comms and admins every department (one chosen, or all); agents get 403, and so
 * does a manager asking for another department.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  if (user.role === "agent") throw forbidden();
  const raw = Object.fromEntries(new URL(request.url).searchParams);
  const parsed = parseForm(statisticsQuerySchema, raw);
  const everyDepartment = seesEveryDepartment(user);
  const departments = everyDepartment ? await departmentChoices(db()) : null;
  // A hundred departments for the list: packed, like the figures (utils/packed.ts).
  const choices = departments && pack(departments);
  if (!parsed.ok) {
    const values = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, withoutNul(v).slice(0, 40)]));
    return data({ values, errors: parsed.errors, departments: choices, result: null, scopeName: null, csvHref: null }, { status: 400 });
  }
  const scope = dashboardScope(user, parsed.data.department);
  if (scope.departmentId !== null && everyDepartment && !departments!.some((d) => d.id === scope.departmentId)) {
    return data(
      { values: { ...parsed.data }, errors: { department: "statistics.errors.departmentUnknown" }, departments: choices, result: null, scopeName: null, csvHref: null },
      { status: 400 },
    );
  }
  const result = await dashboard(db(), scope, periodOf(parsed.data));
  const scopeName =
    scope.departmentId === null
      ? null
      : ((departments ?? []).find((d) => d.id === scope.departmentId)?.name ??
        (await db().selectFrom("department").select("name").where("id", "=", scope.departmentId).executeTakeFirstOrThrow()).name);
  const query = new URLSearchParams({ period: parsed.data.period, from: result.period.from, to: result.period.to });
  if (parsed.data.department) query.set("department", String(parsed.data.department));
  return data({
    values: { ...parsed.data, from: result.period.from, to: result.period.to },
    errors: null,
    departments: choices,
    result: shownAsMarkup(pack(result), context),
    scopeName,
    csvHref: `/statistics.csv?${query}`,
  });
}

export default function Statistics() {
  const { values, errors, departments, result, scopeName, csvHref } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const timeZone = useOrganisationTimeZone();
  const choices = departments ? unpack(departments) : undefined;
  return (
    <div className="stack statistics">
      <h1>{t("statistics.title")}</h1>
      <p>{t("statistics.intro")}</p>
      <PeriodForm action="/statistics" values={values} errors={errors} departments={choices} />
      {result ? (
        // The same for everyone who sees this scope and period: its markup is kept between requests.
        <KeptMarkup depends={[result, scopeName, csvHref, timeZone]} className="stack">
          <DashboardFigures result={result} scopeName={scopeName} csvHref={csvHref!} timeZone={timeZone} />
        </KeptMarkup>
      ) : null}
    </div>
  );
}
