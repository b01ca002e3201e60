import { Form } from "@remix-run/react";
import { useMemo, type CSSProperties, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { FieldError, useMsg } from "~/components/forms";
import { PERIOD_KINDS } from "~/statistics/period";
import type { FieldErrors } from "~/utils/forms";

// Pieces shared by the managers' dashboard (/statistics) and an agent's summary (/my/summary).

/** The figures as numbers, as the server sends them (Figures of statistics.server.ts). */
export interface FiguresView {
  submitted: number;
  approved: number;
  published: number;
  thanksReceived: number;
  commentsWritten: number;
  decisions: number;
  medianDecisionSeconds: number | null;
}

export const COUNTED = ["submitted", "approved", "published", "thanksReceived", "commentsWritten", "decisions"] as const;

/**
 * "2 j 4 h", "3 h 20 min", "45 min"; a dash without a decision. The three messages are translated
 * once per render with markers for their values, then filled per cell: i18next's interpolation for
 * each of a hundred departments' medians showed in the dashboard's profile.
 */
export function useDuration() {
  const { t } = useTranslation();
  const messages = useMemo(
    () => ({
      none: t("statistics.none"),
      minutes: t("statistics.duration.minutes", { minutes: MARK.a }),
      hours: t("statistics.duration.hours", { hours: MARK.a, minutes: MARK.b }),
      days: t("statistics.duration.days", { days: MARK.a, hours: MARK.b }),
    }),
    [t],
  );
  return (seconds: number | null) => {
    if (seconds === null) return messages.none;
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return fill(messages.minutes, minutes);
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return fill(messages.hours, hours, minutes % 60);
    return fill(messages.days, Math.floor(hours / 24), hours % 24);
  };
}

const MARK = { a: "\u0001", b: "\u0002" };
function fill(message: string, a: number, b?: number): string {
  return message.replace(MARK.a, String(a)).replace(MARK.b, String(b ?? ""));
}

/**
 * A table of figures whose rows each start with a header cell (a person, a department), then one
 * cell per column. On a narrow screen each cell shows its column's name before it: the names are
 * set once on the table as CSS strings (--label-2 for the second column), read by app.css with
 * td:nth-child(n)::before, rather than as a data-label on every cell (a hundred departments
 * repeated them 800 times, a quarter of the dashboard's HTML).
 */
export function LabelledTable({ rowHeader, columns, children }: { rowHeader: string; columns: string[]; children: ReactNode }) {
  const names = Object.fromEntries(columns.map((label, i) => [`--label-${i + 2}`, JSON.stringify(label)])) as CSSProperties;
  return (
    <div className="table-wrap">
      <table className="responsive labelled" style={names}>
        <thead>
          <tr>
            <th scope="col">{rowHeader}</th>
            {columns.map((label) => (
              <th scope="col" key={label}>
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `−${-n}` : "0";
}

/** The totals of the period beside the previous one's, and the difference. */
export function TotalsTable({ caption, current, previous }: { caption: string; current: FiguresView; previous: FiguresView }) {
  const { t } = useTranslation();
  const duration = useDuration();
  return (
    <div className="table-wrap">
      <table className="responsive statistics-totals">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("statistics.figure")}</th>
            <th scope="col">{t("statistics.current")}</th>
            <th scope="col">{t("statistics.previous")}</th>
            <th scope="col">{t("statistics.change")}</th>
          </tr>
        </thead>
        <tbody>
          {COUNTED.map((k) => (
            <tr key={k}>
              <th scope="row">{t(`statistics.figures.${k}`)}</th>
              <td data-label={t("statistics.current")}>{current[k]}</td>
              <td data-label={t("statistics.previous")}>{previous[k]}</td>
              <td data-label={t("statistics.change")}>{signed(current[k] - previous[k])}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">{t("statistics.figures.medianDecision")}</th>
            <td data-label={t("statistics.current")}>{duration(current.medianDecisionSeconds)}</td>
            <td data-label={t("statistics.previous")}>{duration(previous.medianDecisionSeconds)}</td>
            <td data-label={t("statistics.change")}>
              {current.medianDecisionSeconds === null || previous.medianDecisionSeconds === null
                ? t("statistics.none")
                : (current.medianDecisionSeconds >= previous.medianDecisionSeconds ? "+" : "−") +
                  duration(Math.abs(current.medianDecisionSeconds - previous.medianDecisionSeconds))}
            </td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}

export interface PeriodValues {
  period?: string;
  from?: string;
  to?: string;
  department?: string | number;
}

/** The period choice (and, for those who see every department, the department), sent by GET. */
export function PeriodForm({
  action,
  values,
  errors,
  departments,
}: {
  action: string;
  values: PeriodValues;
  errors: FieldErrors | null;
  departments?: { id: number; name: string }[];
}) {
  const { t } = useTranslation();
  const msg = useMsg();
  const invalid = (name: string) => (errors?.[name] ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {});
  const error = (name: string) => <FieldError id={`${name}-error`} message={msg(errors?.[name])} />;
  return (
    <Form method="get" action={action} className="card stack no-print" aria-labelledby="period-choice">
      <h2 id="period-choice">{departments ? t("statistics.choose") : t("statistics.period")}</h2>
      <div className="row">
        <div className="field">
          <label htmlFor="period">{t("statistics.period")}</label>
          <select id="period" name="period" defaultValue={values.period ?? "month"} {...invalid("period")}>
            {PERIOD_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`statistics.periods.${k}`)}
              </option>
            ))}
          </select>
          {error("period")}
        </div>
        <div className="field">
          <label htmlFor="from">{t("statistics.from")}</label>
          <input id="from" type="date" name="from" defaultValue={values.from} {...invalid("from")} />
          {error("from")}
        </div>
        <div className="field">
          <label htmlFor="to">{t("statistics.to")}</label>
          <input id="to" type="date" name="to" defaultValue={values.to} {...invalid("to")} />
          {error("to")}
        </div>
        {departments ? (
          <div className="field">
            <label htmlFor="department">{t("statistics.department")}</label>
            <select id="department" name="department" defaultValue={values.department ?? ""} {...invalid("department")}>
              <option value="">{t("statistics.allDepartments")}</option>
              {departments.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
            {error("department")}
          </div>
        ) : null}
        <button type="submit">{t("statistics.show")}</button>
      </div>
    </Form>
  );
}
