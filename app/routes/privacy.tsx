import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { requireUser } from "~/auth/guards.server";
import { RetentionList } from "~/components/retention-list";
import { db } from "~/db.server";
import { privacyNotice } from "~/privacy/register.server";

export const meta: MetaFunction = () => [{ title: "Vie privée · Relais" }];

/** Where "Télécharger mes données" lives. */
const EXPORT_PATH = "/account/export";

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUser(request);
  return { notice: await privacyNotice(db()), exportPath: EXPORT_PATH };
}

export default function Privacy() {
  const { notice, exportPath } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <div className="stack prose">
      <h1>{t("privacyPage.title")}</h1>
      <p>{t("privacyPage.intro", { controller: notice.controllerName || t("privacyPage.yourOrganisation") })}</p>

      <section aria-labelledby="privacy-what">
        <h2 id="privacy-what">{t("privacyPage.whatTitle")}</h2>
        <ul>
          {(["account", "work", "notifications", "signIn", "audit"] as const).map((k) => (
            <li key={k}>{t(`privacyPage.what.${k}`)}</li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="privacy-why">
        <h2 id="privacy-why">{t("privacyPage.whyTitle")}</h2>
        <p>{t("privacyPage.why")}</p>
      </section>

      <section aria-labelledby="privacy-how-long">
        <h2 id="privacy-how-long">{t("privacyPage.howLongTitle")}</h2>
        <RetentionList lines={notice.retention} />
      </section>

      <section aria-labelledby="privacy-who">
        <h2 id="privacy-who">{t("privacyPage.whoTitle")}</h2>
        <ul>
          {(["drafts", "submitted", "approved", "managers", "admins", "outside"] as const).map((k) => (
            <li key={k}>{t(`privacyPage.who.${k}`)}</li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="privacy-rights">
        <h2 id="privacy-rights">{t("privacyPage.rightsTitle")}</h2>
        <ul>
          <li>
            {t("privacyPage.rights.access")} <Link to={exportPath}>{t("privacyPage.rights.exportLink")}</Link>
          </li>
          <li className="pre-line">{notice.dpoContact ? t("privacyPage.rights.erasure", { dpo: notice.dpoContact }) : t("privacyPage.rights.erasureNoDpo")}</li>
          <li>{t("privacyPage.rights.closure")}</li>
          <li>{t("privacyPage.rights.complaint")}</li>
        </ul>
      </section>

      <section aria-labelledby="privacy-image">
        <h2 id="privacy-image">{t("privacyPage.imageTitle")}</h2>
        <ul>
          {(["ask", "scope", "withdraw", "location"] as const).map((k) => (
            <li key={k}>{t(`privacyPage.image.${k}`)}</li>
          ))}
        </ul>
      </section>
    </div>
  );
}
