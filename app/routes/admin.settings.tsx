import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { describedBy, Field, FieldError, FormError, SubmitButton, useMsg } from "~/components/forms";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { getSettings, updateSettings } from "~/organisation/settings.server";
import { fieldErrors } from "~/utils/errors.server";
import { parseForm, type FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Paramètres de l'organisation · Relais" }];

// The organisation's settings, one fieldset per concern, each its own form (intent): saving one
// group never resends another's values.

const RETENTION_FIELDS = ["draftsMonths", "rejectedMonths", "notificationsMonths", "signInMonths", "auditMonths", "consentDocumentsMonths"] as const;

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, "admin");
  return { settings: await getSettings(db()) };
}

// Whole months, 1 to 120 (settingsSchema's range); the audit log refuses less than a month anyway.
const months = z.string().trim().regex(/^\d{1,3}$/, "orgSettings.errors.months").transform(Number).pipe(z.number().min(1, "orgSettings.errors.months").max(120, "orgSettings.errors.months"));

// The ranges of settingsSchema: 5 minutes to 30 days idle, 1 hour to 90 days in all.
const whole = (min: number, max: number, key: string) =>
  z.string().trim().regex(/^\d{1,5}$/, key).transform(Number).pipe(z.number().min(min, key).max(max, key));

const intents = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("sign-in"),
    twoFactorRequired: z.literal("on").optional(),
    sessionIdleMinutes: whole(5, 60 * 24 * 30, "orgSettings.errors.idle"),
    sessionLifetimeHours: whole(1, 24 * 90, "orgSettings.errors.lifetime"),
  }),
  z.object({
    intent: z.literal("retention"),
    ...Object.fromEntries(RETENTION_FIELDS.map((f) => [f, months])) as Record<(typeof RETENTION_FIELDS)[number], typeof months>,
  }),
  z.object({
    intent: z.literal("controller"),
    controllerName: z.string().trim().max(200, "orgSettings.errors.controllerName"),
    dpoContact: z.string().trim().max(500, "orgSettings.errors.dpoContact"),
  }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const admin = await requireRole(request, "admin");
  const parsed = parseForm(intents, await readForm(request));
  if (!parsed.ok) return fieldErrors(parsed.errors);
  const input = parsed.data;
  if (input.intent === "sign-in") {
    const { sessionIdleMinutes, sessionLifetimeHours } = input;
    await updateSettings(db(), admin, { twoFactorRequired: input.twoFactorRequired === "on", sessionIdleMinutes, sessionLifetimeHours });
  } else if (input.intent === "retention") {
    const { intent: _intent, ...retention } = input;
    await updateSettings(db(), admin, { retention });
  } else {
    await updateSettings(db(), admin, { controllerName: input.controllerName, dpoContact: input.dpoContact });
  }
  return { ok: true as const, intent: input.intent };
}

export default function AdminSettings() {
  const { settings } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const msg = useMsg();
  const errors: FieldErrors | undefined = result && !result.ok ? result.errors : undefined;
  const saved = (intent: string) =>
    result?.ok && result.intent === intent ? (
      <p className="notice" role="status">
        {t("orgSettings.saved")}
      </p>
    ) : null;
  const dpoError = msg(errors?.dpoContact);
  return (
    <div className="stack">
      <h1>{t("orgSettings.title")}</h1>
      <FormError errors={errors} />

      <section className="card" aria-labelledby="sign-in-title">
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="sign-in" />
          <fieldset>
            <legend id="sign-in-title">{t("orgSettings.signIn.title")}</legend>
            <div className="field">
              <label className="choice">
                <input type="checkbox" name="twoFactorRequired" defaultChecked={settings.twoFactorRequired} aria-describedby="f-twoFactorRequired-hint" />
                {t("orgSettings.signIn.twoFactorRequired")}
              </label>
              <p className="hint" id="f-twoFactorRequired-hint">
                {t("orgSettings.signIn.twoFactorRequiredHint")}
              </p>
            </div>
            <Field
              name="sessionIdleMinutes"
              type="number"
              inputMode="numeric"
              min={5}
              max={60 * 24 * 30}
              step={1}
              required
              defaultValue={settings.sessionIdleMinutes}
              label={t("orgSettings.signIn.sessionIdleMinutes")}
              hint={t("orgSettings.signIn.sessionIdleMinutesHint")}
              errors={errors}
            />
            <Field
              name="sessionLifetimeHours"
              type="number"
              inputMode="numeric"
              min={1}
              max={24 * 90}
              step={1}
              required
              defaultValue={settings.sessionLifetimeHours}
              label={t("orgSettings.signIn.sessionLifetimeHours")}
              hint={t("orgSettings.signIn.sessionLifetimeHoursHint")}
              errors={errors}
            />
          </fieldset>
          {saved("sign-in")}
          <SubmitButton>{t("orgSettings.signIn.save")}</SubmitButton>
        </Form>
      </section>

      <section className="card" aria-labelledby="retention-title">
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="retention" />
          <fieldset>
            <legend id="retention-title">{t("orgSettings.retention.title")}</legend>
            <p>{t("orgSettings.retention.intro")}</p>
            {RETENTION_FIELDS.map((field) => (
              <Field
                key={field}
                name={field}
                type="number"
                inputMode="numeric"
                min={1}
                max={120}
                step={1}
                required
                defaultValue={settings.retention[field]}
                label={t(`orgSettings.retention.${field}`)}
                hint={t(`orgSettings.retention.${field}Hint`)}
                errors={errors}
              />
            ))}
          </fieldset>
          {saved("retention")}
          <SubmitButton>{t("orgSettings.retention.save")}</SubmitButton>
        </Form>
      </section>

      <section className="card" aria-labelledby="controller-title">
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="controller" />
          <fieldset>
            <legend id="controller-title">{t("orgSettings.controller.title")}</legend>
            <p>{t("orgSettings.controller.intro")}</p>
            <Field name="controllerName" type="text" maxLength={200} defaultValue={settings.controllerName} label={t("orgSettings.controller.name")} errors={errors} />
            <div className="field">
              <label htmlFor="f-dpoContact">{t("orgSettings.controller.dpo")}</label>
              <textarea
                id="f-dpoContact"
                name="dpoContact"
                rows={3}
                maxLength={500}
                defaultValue={settings.dpoContact}
                aria-invalid={dpoError ? true : undefined}
                aria-describedby={describedBy("f-dpoContact-hint", dpoError ? "f-dpoContact-error" : null)}
              />
              <p className="hint" id="f-dpoContact-hint">
                {t("orgSettings.controller.dpoHint")}
              </p>
              <FieldError id="f-dpoContact-error" message={dpoError} />
            </div>
          </fieldset>
          {saved("controller")}
          <SubmitButton>{t("orgSettings.controller.save")}</SubmitButton>
        </Form>
      </section>
    </div>
  );
}
