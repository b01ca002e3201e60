import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { SubmitButton } from "~/components/forms";
import { requireRecentAuth, requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { EXPORT_VALID_HOURS, listExports, requestExport } from "~/privacy/export.server";
import { useDates } from "~/utils/dates";
import { readForm } from "~/utils/forms.server";

/** Seconds between reloads while an archive is being prepared (works without JavaScript). */
const REFRESH_SECONDS = 2;

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: "Télécharger mes données · Relais" },
  ...(data?.inProgress ? [{ httpEquiv: "refresh", content: String(REFRESH_SECONDS) } as const] : []),
];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const exports = await listExports(db(), user);
  return {
    userId: user.id,
    exports,
    inProgress: exports.some((e) => e.state === "pending" || e.state === "running"),
    requested: new URL(request.url).searchParams.has("requested"),
    validHours: EXPORT_VALID_HOURS,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireUser(request);
  // Sensitive: an archive of everything about someone. The password again when its check is old.
  const user = await requireRecentAuth(request);
  const form = await readForm(request);
  if (form.get("intent") !== "request") throw new Response("Bad Request", { status: 400 });
  await requestExport(db(), user, user.id, { ip: context.clientIp });
  return redirect("/account/export?requested");
}

function size(bytes: number | null): string {
  const mb = (bytes ?? 0) / 1_000_000;
  return mb >= 1 ? `${mb.toLocaleString("fr-FR", { maximumFractionDigits: 1 })} Mo` : `${Math.max(1, Math.round((bytes ?? 0) / 1000))} Ko`;
}

export default function DataExport() {
  const { userId, exports, inProgress, requested, validHours } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const dates = useDates();
  return (
    <div className="stack">
      <h1>{t("dataExport.title")}</h1>
      <p>{t("dataExport.intro")}</p>
      <p className="muted">{t("dataExport.validity", { hours: validHours })}</p>
      {requested ? (
        <p className="notice" role="status">
          {t("dataExport.requested")}
        </p>
      ) : null}
      <Form method="post">
        <input type="hidden" name="intent" value="request" />
        <SubmitButton>{t("dataExport.request")}</SubmitButton>
      </Form>
      <section aria-labelledby="exports-title" className="stack">
        <h2 id="exports-title">{t("dataExport.listTitle")}</h2>
        {exports.length === 0 ? <p>{t("dataExport.empty")}</p> : null}
        <ul className="stack" aria-live="polite">
          {exports.map((e) => (
            <li key={e.id} className="card">
              <p>
                <strong>{e.user_id === userId ? t("dataExport.title") : t("dataExport.forWhom", { name: e.user_name })}</strong>
                <br />
                <span className="muted">{dates.dateTime(e.created_at)}</span>
              </p>
              {e.state === "pending" ? <p role="status">{t("dataExport.pending")}</p> : null}
              {e.state === "running" ? (
                <p role="status">
                  <label htmlFor={`progress-${e.id}`}>{t("dataExport.running", { done: e.photos_done, total: e.photos_total })}</label>
                  <br />
                  <progress id={`progress-${e.id}`} value={e.photos_done} max={Math.max(1, e.photos_total)} />
                </p>
              ) : null}
              {e.state === "failed" ? <p className="alert">{t("dataExport.failed")}</p> : null}
              {e.state === "ready" ? (
                <p>
                  <a href={`/account/export/${e.id}`} download>
                    {t("dataExport.download", { size: size(e.bytes) })}
                  </a>
                  <br />
                  <span className="muted">{e.expires_at ? t("dataExport.expires", { date: dates.dateTime(e.expires_at) }) : null}</span>
                </p>
              ) : null}
            </li>
          ))}
        </ul>
        {inProgress ? <Link to="/account/export">{t("dataExport.refresh")}</Link> : null}
      </section>
    </div>
  );
}
