import { Form, Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { consentLabel } from "~/consent/consent";
import { SubmitButton } from "./forms";

interface ConsentOption {
  id: number;
  person_name: string | null;
  reference: string | null;
}

interface LinkedConsent extends ConsentOption {
  photo_id: number;
  withdrawn_at: Date | string | null;
  expired: boolean;
}

/**
 * The people a photo shows, as authorisations of the consent register, and a form to link one
 * more (the page's action handles intent=linkConsent; the server checks the role again).
 */
export function PhotoConsents({ photoId, n, linked, options }: { photoId: number; n: number; linked: LinkedConsent[]; options: ConsentOption[] }) {
  const { t } = useTranslation();
  const mine = linked.filter((c) => c.photo_id === photoId);
  const choices = options.filter((o) => !mine.some((m) => m.id === o.id));
  return (
    <div className="stack">
      <p>
        <strong>{t("consent.linkedTo", { n })}</strong>
      </p>
      {mine.length ? (
        <ul>
          {mine.map((c) => (
            <li key={c.id}>
              <Link to={`/consents/${c.id}`}>{consentLabel(c)}</Link> — {t(`consent.states.${c.withdrawn_at ? "withdrawn" : c.expired ? "expired" : "active"}`)}
            </li>
          ))}
        </ul>
      ) : (
        <p>{t("consent.noneLinked")}</p>
      )}
      {choices.length ? (
        <Form method="post" className="stack">
          <input type="hidden" name="photoId" value={photoId} />
          <div className="field">
            <label htmlFor={`consent-for-${photoId}`}>{t("consent.linkLabel", { n })}</label>
            <select id={`consent-for-${photoId}`} name="consentId" defaultValue="">
              <option value="">{t("consent.choose")}</option>
              {choices.map((o) => (
                <option key={o.id} value={o.id}>
                  {consentLabel(o)} — {t("consent.number", { id: o.id })}
                </option>
              ))}
            </select>
          </div>
          <div>
            <SubmitButton name="intent" value="linkConsent" className="secondary">
              {t("consent.linkButton")}
              <span className="visually-hidden"> {t("consent.linkLabel", { n })}</span>
            </SubmitButton>
          </div>
        </Form>
      ) : null}
    </div>
  );
}
