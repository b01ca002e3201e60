import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { AUDIT_ACTIONS, AUDIT_SUBJECT_TYPES } from "../../db/schema";
import { nextPageHref } from "~/components/feed-list";
import { FieldError, useMsg } from "~/components/forms";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { detailsText } from "~/privacy/audit";
import { auditFiltersSchema, filtersQuery, listAuditEntries, type AuditFilters } from "~/privacy/audit-log.server";
import { useDates } from "~/utils/dates";
import { parseForm, withoutNul } from "~/utils/forms";

export const meta: MetaFunction = () => [{ title: "Journal d'audit · Relais" }];

type FilterName = Exclude<keyof AuditFilters, "cursor">;

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  const url = new URL(request.url);
  const raw = Object.fromEntries(url.searchParams);
  const parsed = parseForm(auditFiltersSchema, raw);
  const { entries, next } = parsed.ok ? await listAuditEntries(db(), parsed.data) : { entries: [], next: null };
  // A malformed filter (a hand-edited URL) is answered 400 with its message by the field, the
  // form filled as it was sent.
  const values: Partial<Record<FilterName, string>> = parsed.ok
    ? parsed.data
    : Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, withoutNul(v).slice(0, 200)]));
  return data(
    {
      values,
      errors: parsed.ok ? null : parsed.errors,
      entries,
      nextHref: nextPageHref(request, next),
      paged: Boolean(parsed.ok && parsed.data.cursor),
      exportHref: parsed.ok ? `/admin/audit.csv${filtersQuery(parsed.data)}` : null,
      firstHref: parsed.ok ? `/admin/audit${filtersQuery(parsed.data)}` : null,
    },
    { status: parsed.ok ? 200 : 400 },
  );
}

export default function AdminAudit() {
  const { values, errors, entries, nextHref, paged, exportHref, firstHref } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const dates = useDates();
  const msg = useMsg();
  const invalid = (name: FilterName) => (errors?.[name] ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {});
  const error = (name: FilterName) => <FieldError id={`${name}-error`} message={msg(errors?.[name])} />;
  return (
    <div className="stack">
      <h1>{t("admin.audit.title")}</h1>
      <p>{t("admin.audit.intro")}</p>
      <Form method="get" className="card stack" aria-labelledby="audit-filters">
        <h2 id="audit-filters">{t("admin.audit.filters")}</h2>
        <div className="row">
          <div className="field">
            <label htmlFor="from">{t("admin.audit.from")}</label>
            <input id="from" type="date" name="from" defaultValue={values.from} {...invalid("from")} />
            {error("from")}
          </div>
          <div className="field">
            <label htmlFor="to">{t("admin.audit.to")}</label>
            <input id="to" type="date" name="to" defaultValue={values.to} {...invalid("to")} />
            {error("to")}
          </div>
          <div className="field">
            <label htmlFor="action">{t("admin.audit.action")}</label>
            <select id="action" name="action" defaultValue={values.action ?? ""} {...invalid("action")}>
              <option value="">{t("admin.audit.anyAction")}</option>
              {AUDIT_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {t(`admin.audit.actions.${a}`)}
                </option>
              ))}
            </select>
            {error("action")}
          </div>
        </div>
        <div className="row">
          <div className="field grow">
            <label htmlFor="actor">{t("admin.audit.actor")}</label>
            <input id="actor" type="search" name="actor" defaultValue={values.actor} maxLength={200} {...invalid("actor")} />
            {error("actor")}
          </div>
          <div className="field">
            <label htmlFor="subjectType">{t("admin.audit.subjectType")}</label>
            <select id="subjectType" name="subjectType" defaultValue={values.subjectType ?? ""} {...invalid("subjectType")}>
              <option value="">{t("admin.audit.anySubject")}</option>
              {AUDIT_SUBJECT_TYPES.map((s) => (
                <option key={s} value={s}>
                  {t(`admin.audit.subjects.${s}`)}
                </option>
              ))}
            </select>
            {error("subjectType")}
          </div>
          <div className="field">
            <label htmlFor="subjectId">{t("admin.audit.subjectId")}</label>
            <input id="subjectId" type="text" name="subjectId" defaultValue={values.subjectId} maxLength={100} {...invalid("subjectId")} />
            {error("subjectId")}
          </div>
        </div>
        <div className="row">
          <button type="submit">{t("admin.audit.filter")}</button>
          <Link to="/admin/audit">{t("admin.audit.reset")}</Link>
          {exportHref ? (
            <a href={exportHref} download>
              {t("admin.audit.export")}
            </a>
          ) : null}
        </div>
      </Form>

      {entries.length === 0 ? (
        <p>{t("admin.audit.empty")}</p>
      ) : (
        <div className="table-wrap">
          <table className="responsive">
            <thead>
              <tr>
                <th scope="col">{t("admin.audit.at")}</th>
                <th scope="col">{t("admin.audit.action")}</th>
                <th scope="col">{t("admin.audit.who")}</th>
                <th scope="col">{t("admin.audit.subject")}</th>
                <th scope="col">{t("admin.audit.department")}</th>
                <th scope="col">{t("admin.audit.details")}</th>
                <th scope="col">{t("admin.audit.ip")}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td data-label={t("admin.audit.at")}>
                    <time dateTime={new Date(e.at).toISOString()}>{dates.dateTime(e.at)}</time>
                  </td>
                  <td data-label={t("admin.audit.action")}>{t(`admin.audit.actions.${e.action}`)}</td>
                  <td data-label={t("admin.audit.who")}>
                    {e.actor_id ? (e.actor_name ?? e.actor_id) : t("admin.audit.system")}
                    {e.actor_role ? <span className="muted"> ({t(`roles.${e.actor_role}`)})</span> : null}
                  </td>
                  <td data-label={t("admin.audit.subject")}>{e.subject_type ? `${t(`admin.audit.subjects.${e.subject_type}`)} ${e.subject_id}` : ""}</td>
                  <td data-label={t("admin.audit.department")}>{e.department_name ?? ""}</td>
                  <td data-label={t("admin.audit.details")}>{detailsText(e.details)}</td>
                  <td data-label={t("admin.audit.ip")}>{e.ip ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="row" aria-label={t("admin.audit.title")}>
        {paged && firstHref ? <Link to={firstHref}>{t("admin.audit.first")}</Link> : null}
        {nextHref ? <Link to={nextHref}>{t("admin.audit.next")}</Link> : null}
      </nav>
    </div>
  );
}
