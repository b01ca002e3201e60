import { useTranslation } from "react-i18next";
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
