import { isRouteErrorResponse, Link, useRouteError } from "@remix-run/react";
import { useTranslation } from "react-i18next";

/** The HTTP status of an error, and which of the messages (errors.400/403/404/500) tells it. */
export function errorKind(error: unknown): { status: number; key: 400 | 403 | 404 | 500 } {
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const key = status === 403 || status === 404 || status === 400 ? status : status >= 500 ? 500 : 400;
  return { status, key };
}

/** One friendly page for every error: a status and a sentence, never a stack trace or raw JSON. */
export function GeneralErrorBoundary() {
  const error = useRouteError();
  const { t } = useTranslation();
  const { status, key } = errorKind(error);
  return (
    <section className="error-page" aria-labelledby="error-title">
      <h1 id="error-title">
        {t("errors.title")} <span className="muted">({status})</span>
      </h1>
      <p>{t(`errors.${key}`)}</p>
      <p>
        <Link to="/">{t("errors.back")}</Link>
      </p>
    </section>
  );
}
