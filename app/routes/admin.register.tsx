import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { processingRegister } from "~/privacy/register.server";
import { RetentionList } from "~/components/retention-list";
import { useDates } from "~/utils/dates";

export const meta: MetaFunction = () => [{ title: "Registre des activités de traitement · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireRole(request, "admin");
  return { register: await processingRegister(db(), user), issuedAt: new Date().toISOString() };
}

const COMMON = ["hosting", "photos", "passwords", "twoFactor", "secrets", "roles", "audit", "retention"] as const;

export default function AdminRegister() {
  const { register, issuedAt } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const dates = useDates();
  return (
    <div className="stack register">
      <h1>{t("register.title")}</h1>
      <p>{t("register.intro")}</p>
      <p className="muted">{t("register.generatedOn", { date: dates.dateTime(issuedAt) })}</p>
      <dl className="card">
        <dt>{t("register.controller")}</dt>
        <dd>{register.controllerName || t("register.notSet")}</dd>
        <dt>{t("register.dpo")}</dt>
        <dd className="pre-line">{register.dpoContact || t("register.notSet")}</dd>
      </dl>
      <p className="no-print">
        {/* Printing is the browser's own; without JavaScript its menu does the same. */}
        <button type="button" onClick={() => window.print()}>
          {t("register.print")}
        </button>
      </p>
      <nav aria-labelledby="register-summary" className="no-print">
        <h2 id="register-summary">{t("register.summary")}</h2>
        <ol>
          {register.activities.map((a) => (
            <li key={a.id}>
              <a href={`#activity-${a.id}`}>{t(`register.activities.${a.id}.name`)}</a>
            </li>
          ))}
        </ol>
      </nav>
      {register.activities.map((a, i) => (
        <section key={a.id} id={`activity-${a.id}`} className="card activity" aria-labelledby={`activity-${a.id}-title`}>
          <h2 id={`activity-${a.id}-title`}>
            {i + 1}. {t(`register.activities.${a.id}.name`)}
          </h2>
          <dl>
            {(["purpose", "legalBasis", "data", "people"] as const).map((field) => (
              <div key={field}>
                <dt>{t(`register.${field}`)}</dt>
                <dd>{t(`register.activities.${a.id}.${field}`)}</dd>
              </div>
            ))}
            <div>
              <dt>{t("register.recipients")}</dt>
              <dd>
                {t(`register.activities.${a.id}.recipients`)}
                {a.id === "publication" ? (
                  register.channels.length ? (
                    <ul>
                      {register.channels.map((c) => (
                        <li key={`${c.kind}-${c.name}`}>
                          {t(c.enabled ? "register.channel" : "register.channelDisabled", { name: c.name, kind: t(`publishing.kinds.${c.kind}`) })}
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <> {t("register.noChannel")}</>
                  )
                ) : null}
              </dd>
            </div>
            <div>
              <dt>{t("register.retentionTitle")}</dt>
              <dd>
                <RetentionList lines={a.retention} />
              </dd>
            </div>
            <div>
              <dt>{t("register.securityTitle")}</dt>
              <dd>{t(`register.activities.${a.id}.security`)}</dd>
            </div>
          </dl>
        </section>
      ))}
      <section className="card" aria-labelledby="register-common">
        <h2 id="register-common">{t("register.commonSecurity")}</h2>
        <ul>
          {COMMON.map((m) => (
            <li key={m}>{t(`register.common.${m}`)}</li>
          ))}
        </ul>
      </section>
    </div>
  );
}
