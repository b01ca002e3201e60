import { useTranslation } from "react-i18next";
import { COUNTED, LabelledTable, TotalsTable, useDuration } from "~/components/statistics";
import { channelColor, StackedBars, STATUS_COLORS } from "~/components/statistics-charts";
import type { dashboard } from "~/statistics/statistics.server";
import { datesIn, formatMonth } from "~/utils/dates";
import { unpack, type Packed } from "~/utils/packed";

// The statistics dashboard's body (/statistics): kept as markup between requests (KeptMarkup), so it
// reads only its props and the language.

export type DashboardView = Awaited<ReturnType<typeof dashboard>>;

/** The figures, tables, charts and "temps forts" of a period: a pure function of its props. */
export function DashboardFigures({
  result: packed,
  scopeName,
  csvHref,
  timeZone,
}: {
  result: Packed<DashboardView>;
  scopeName: string | null;
  csvHref: string;
  timeZone: string;
}) {
  const { t, i18n } = useTranslation();
  // Parsed only where this renders: in the browser, and on the server when its markup is not kept.
  const result = unpack(packed);
  const dates = datesIn(i18n.language, timeZone);
  const duration = useDuration();
  // The figures' column names, for the headers and, on a phone, before each cell (LabelledTable).
  const figureColumns = COUNTED.map((k) => t(`statistics.figures.${k}`));
  const departmentColumns = [...figureColumns, t("statistics.figures.medianDecision")];
  const contributorColumns = [...figureColumns, t("statistics.figures.channels"), t("statistics.figures.medianDecision")];
  // Formatters made once per process (formatMonth): building a DateTimeFormat showed in the profile.
  const monthName = (month: string) => formatMonth(month, i18n.language, "short");
  const longMonth = (month: string) => formatMonth(month, i18n.language, "long");
  return (
    <>
      <p>
        {t("statistics.covers", {
          from: dates.date(result.period.from),
          to: dates.date(result.period.to),
          prevFrom: dates.date(result.previous.from),
          prevTo: dates.date(result.previous.to),
        })}{" "}
        <span className="muted">{t("statistics.lag")}</span>
      </p>
      <p className="no-print">
        <a href={csvHref} download>
          {t("statistics.export")}
        </a>
      </p>
      <section className="card" aria-labelledby="totals">
        <h2 id="totals">{t("statistics.totals")}</h2>
        <TotalsTable
          caption={t("statistics.totalsOf", { name: scopeName ?? t("statistics.organisation") })}
          current={result.totals}
          previous={result.previousTotals}
        />
      </section>

      {scopeName !== null ? (
        <section className="card" aria-labelledby="contributors">
          <h2 id="contributors">{t("statistics.contributors")}</h2>
          {result.contributors.length === 0 ? (
            <p>{t("statistics.contributorsEmpty")}</p>
          ) : (
            <LabelledTable rowHeader={t("statistics.person")} columns={contributorColumns}>
              {result.contributors.map((c) => (
                <tr key={c.userId}>
                  <th scope="row">{c.name}</th>
                  {COUNTED.map((k) => (
                    <td key={k}>{c[k]}</td>
                  ))}
                  <td>{c.channels.length ? c.channels.map((ch) => `${ch.name} (${ch.published})`).join(", ") : t("statistics.none")}</td>
                  <td>{duration(c.medianDecisionSeconds)}</td>
                </tr>
              ))}
            </LabelledTable>
          )}
        </section>
      ) : (
        <section className="card" aria-labelledby="departments">
          <h2 id="departments">{t("statistics.departments")}</h2>
          <p className="hint">{t("statistics.departmentsHint")}</p>
          <LabelledTable rowHeader={t("statistics.department")} columns={departmentColumns}>
            {result.departments.map((d) => (
              <tr key={d.departmentId}>
                <th scope="row">{d.name}</th>
                {COUNTED.map((k) => (
                  <td key={k}>{d[k]}</td>
                ))}
                <td>{duration(d.medianDecisionSeconds)}</td>
              </tr>
            ))}
          </LabelledTable>
        </section>
      )}

      <section className="card stack" aria-labelledby="charts">
        <h2 id="charts">{t("statistics.charts")}</h2>
        <StackedBars
          id="chart-weeks"
          title={t("statistics.weeks.title")}
          columnHeader={t("statistics.weeks.week")}
          series={(["approved", "inReview", "changesRequested", "rejected"] as const).map((key) => ({
            key,
            label: t(`statistics.weeks.${key}`),
            color: STATUS_COLORS[key],
          }))}
          columns={result.weeks.map((w) => ({
            short: `${w.week.slice(8, 10)}/${w.week.slice(5, 7)}`,
            long: dates.date(w.week),
            values: { approved: w.approved, inReview: w.inReview, changesRequested: w.changesRequested, rejected: w.rejected },
          }))}
        />
        {result.channels.channels.length === 0 ? (
          <p>
            <strong>{t("statistics.channelMonths.title")}</strong> : {t("statistics.channelMonths.empty")}
          </p>
        ) : (
          <StackedBars
            id="chart-channels"
            title={t("statistics.channelMonths.title")}
            columnHeader={t("statistics.channelMonths.month")}
            series={result.channels.channels.map((name, i) => ({ key: name, label: name, color: channelColor(i) }))}
            columns={result.channels.months.map((m) => ({ short: monthName(m.month), long: longMonth(m.month), values: m.counts }))}
          />
        )}
        {result.shares.length > 0 ? (
          <StackedBars
            id="chart-shares"
            title={t("statistics.shares.title")}
            columnHeader={t("statistics.shares.month")}
            series={[{ key: "contributed", label: t("statistics.shares.share"), color: STATUS_COLORS.approved }]}
            columns={result.shares.map((s) => ({
              short: monthName(s.month),
              long: longMonth(s.month),
              values: { contributed: s.contributed, departments: s.departments },
            }))}
            max={Math.max(1, ...result.shares.map((s) => s.departments))}
            cell={(c) => t("statistics.shares.value", { contributed: c.values.contributed, departments: c.values.departments })}
          />
        ) : null}
      </section>

      <section className="card" aria-labelledby="highlights">
        <h2 id="highlights">{t("statistics.highlights")}</h2>
        <p className="hint">{t("statistics.highlightsIntro")}</p>
        {result.highlights.length === 0 ? (
          <p>{t("statistics.highlightsEmpty")}</p>
        ) : (
          <ul className="highlights">
            {result.highlights.map((h) => (
              <li key={h.contributionId}>
                <strong>{h.title}</strong>{" "}
                {h.authorName === null
                  ? t("statistics.byAnonymous", { department: h.departmentName })
                  : t("statistics.by", { who: h.authorName, department: h.departmentName })}
                <ul>
                  {h.placements.map((p, i) => (
                    <li key={i}>
                      {p.url ? (
                        <a href={p.url}>{t("statistics.ranOn", { channel: p.channel, date: dates.date(p.publishedAt) })}</a>
                      ) : (
                        t("statistics.ranOn", { channel: p.channel, date: dates.date(p.publishedAt) })
                      )}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
