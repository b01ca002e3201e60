import { useTranslation } from "react-i18next";
import { describedBy, FieldError } from "~/components/forms";
import { useDates } from "~/utils/dates";

export interface ConsentShown {
  allows_website: boolean;
  allows_social: boolean;
  expires_on: string | null;
  minor: boolean;
  guardian_name: string | null;
  withdrawn_at: Date | string | null;
  expired: boolean;
}

/** An authorisation's state, scope, end date and, for a minor, who signed: one line each. */
export function ConsentSummary({ consent: c }: { consent: ConsentShown }) {
  const { t } = useTranslation();
  const dates = useDates();
  const state = c.withdrawn_at ? "withdrawn" : c.expired ? "expired" : "active";
  const scopes = [c.allows_website && t("consent.scopes.website"), c.allows_social && t("consent.scopes.social")].filter(Boolean);
  return (
    <p className="meta">
      <span className={`status ${state === "active" ? "approved" : "rejected"}`}>{t(`consent.states.${state}`)}</span>
      <span>{scopes.length ? scopes.join(", ") : t("consent.internalOnly")}</span>
      <span>{c.expires_on ? t("consent.expiresOnDate", { date: dates.date(c.expires_on) }) : t("consent.noExpiry")}</span>
      {c.minor && c.guardian_name ? <span>{t("consent.minorSigned", { name: c.guardian_name })}</span> : null}
    </p>
  );
}

/** The signed form's file field (PDF, JPEG or PNG), with its message; on recording and on attaching. */
export function ConsentFileField({ error }: { error: string | undefined }) {
  const { t } = useTranslation();
  return (
    <div className="field">
      <label htmlFor="f-form_file">{t("consent.formFile")}</label>
      <input
        id="f-form_file"
        name="form_file"
        type="file"
        accept="application/pdf,image/jpeg,image/png"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(error && "f-form_file-error")}
      />
      <FieldError id="f-form_file-error" message={error} />
    </div>
  );
}
