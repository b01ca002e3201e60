import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ConsentFileField, ConsentSummary } from "~/components/consent-summary";
import { Field, FormError, SubmitButton, useMsg } from "~/components/forms";
import { requireUser } from "~/auth/guards.server";
import { CONSENT_FILTERS, consentLabel, type ConsentFilter } from "~/consent/consent";
import { assertConsentKeeper, consentFields, discardUpload, listConsents, readConsentRequest, recordConsent } from "~/consent/consents.server";
import { db } from "~/db.server";
import { attempt, fieldErrors, FormRefusal } from "~/utils/errors.server";
import { parseForm, type FieldErrors } from "~/utils/forms";

export const meta: MetaFunction = () => [{ title: "Registre des consentements · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  assertConsentKeeper(user);
  const url = new URL(request.url);
  const q = (url.searchParams.get("q") ?? "").slice(0, 200);
  const asked = url.searchParams.get("filter") ?? "all";
  const filter: ConsentFilter = (CONSENT_FILTERS as readonly string[]).includes(asked) ? (asked as ConsentFilter) : "all";
  return { q, filter, consents: await listConsents(db(), user, { q, filter }) };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  assertConsentKeeper(user);
  let read: Awaited<ReturnType<typeof readConsentRequest>>;
  try {
    read = await readConsentRequest(request);
  } catch (error) {
    if (error instanceof FormRefusal) return fieldErrors(error.errors, error.status);
    throw error;
  }
  const parsed = parseForm(consentFields, Object.fromEntries([...read.form.entries()].filter(([, v]) => typeof v === "string")));
  if (!parsed.ok) {
    await discardUpload(read.file);
    return fieldErrors(parsed.errors);
  }
  const result = await attempt(() => recordConsent(db(), user, parsed.data, read.file));
  if (!("value" in result)) return result;
  return redirect(`/consents/${result.value}?recorded=1`);
}

function NewConsent({ errors }: { errors?: FieldErrors }) {
  const { t } = useTranslation();
  const msg = useMsg();
  const [minor, setMinor] = useState(false);
  const fileError = msg(errors?.form_file);
  return (
    <Form method="post" encType="multipart/form-data" className="card stack" aria-labelledby="new-consent-title">
      <h2 id="new-consent-title">{t("consent.new")}</h2>
      <FormError errors={errors} />
      <Field name="personName" type="text" label={t("consent.personName")} maxLength={200} errors={errors} hint={t("consent.personHint")} />
      <Field name="reference" type="text" label={t("consent.reference")} maxLength={100} errors={errors} />
      <fieldset className="stack">
        <legend>{t("consent.scope")}</legend>
        <label className="choice">
          <input type="checkbox" name="allowsWebsite" />
          {t("consent.allowsWebsite")}
        </label>
        <label className="choice">
          <input type="checkbox" name="allowsSocial" />
          {t("consent.allowsSocial")}
        </label>
      </fieldset>
      <Field name="expiresOn" type="date" label={t("consent.expiresOn")} errors={errors} />
      <label className="choice">
        <input type="checkbox" name="minor" checked={minor} onChange={(e) => setMinor(e.target.checked)} />
        {t("consent.minor")}
      </label>
      {/* Always in the page without JavaScript; with it, shown once "mineure" is ticked. */}
      <div hidden={!minor && !errors?.guardianName}>
        <Field name="guardianName" type="text" label={t("consent.guardianName")} maxLength={200} errors={errors} />
      </div>
      <ConsentFileField error={fileError} />
      <div>
        <SubmitButton>{t("consent.submit")}</SubmitButton>
      </div>
    </Form>
  );
}

export default function Consents() {
  const { q, filter, consents } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  return (
    <div className="stack">
      <h1>{t("consent.title")}</h1>
      <p>{t("consent.intro")}</p>
      <Form method="get" className="filters" role="search">
        <div className="field">
          <label htmlFor="consent-q">{t("consent.search")}</label>
          <input id="consent-q" name="q" type="search" defaultValue={q} maxLength={200} />
        </div>
        <div className="field">
          <label htmlFor="consent-filter">{t("consent.filter")}</label>
          <select id="consent-filter" name="filter" defaultValue={filter}>
            {CONSENT_FILTERS.map((f) => (
              <option key={f} value={f}>
                {t(`consent.filters.${f}`)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <button type="submit" className="secondary">
            {t("consent.searchButton")}
          </button>
        </div>
      </Form>
      {consents.length === 0 ? <p>{t("consent.empty")}</p> : null}
      <ul className="feed">
        {consents.map((c) => (
          <li key={c.id} className="card">
            <h2>
              <Link to={`/consents/${c.id}`}>{consentLabel(c)}</Link>
            </h2>
            <ConsentSummary consent={c} />
          </li>
        ))}
      </ul>
      <NewConsent errors={errors} />
    </div>
  );
}
