import { Form } from "@remix-run/react";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { describedBy, Field, FieldError, FormError, SubmitButton, useMsg } from "~/components/forms";
import type { FieldErrors } from "~/utils/forms";

export const KINDS = ["mastodon", "bluesky", "webhook", "feed", "manual"] as const;
const ASPECTS = ["1:1", "4:5", "1.91:1", "16:9"] as const;
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

export interface ChannelFormValues {
  kind: (typeof KINDS)[number];
  name: string;
  slug: string;
  settings: Record<string, string>;
  characterLimit: number | null;
  imageAspect: string | null;
  slots: { weekday: number; time: string }[];
  hasSecret: boolean;
}

/** A secret field: write-only. When one is stored, the page says so and never shows it. */
function SecretField({ name, label, stored, errors }: { name: string; label: string; stored: boolean; errors?: FieldErrors }) {
  const { t } = useTranslation();
  return (
    <Field
      name={name}
      type="password"
      autoComplete="off"
      label={label}
      errors={errors}
      hint={stored ? t("publishing.channels.secretStored") : undefined}
      required={!stored}
    />
  );
}

/** Create or edit a channel: the kind's settings, its limit, its image aspect and its posting slots. */
export function ChannelForm({ values, errors, intent, submit }: { values?: ChannelFormValues; errors?: FieldErrors; intent: string; submit: string }) {
  const { t } = useTranslation();
  const msg = useMsg();
  const [kind, setKind] = useState<ChannelFormValues["kind"]>(values?.kind ?? "mastodon");
  const s = values?.settings ?? {};
  const weekdays = new Set((values?.slots ?? [1, 2, 3, 4, 5].map((weekday) => ({ weekday, time: "18:30" }))).map((x) => x.weekday));
  const times = [...new Set((values?.slots ?? [{ weekday: 1, time: "18:30" }]).map((x) => x.time))].join(", ");
  const stored = values?.hasSecret ?? false;
  // Without JavaScript the kind's select cannot hide anything: every kind's settings are in the
  // page, each under its kind's name, and the server reads those of the kind chosen. Once the
  // page is live, only the chosen kind's are shown.
  const [live, setLive] = useState(false);
  useEffect(() => setLive(true), []);
  const shows = (k: ChannelFormValues["kind"]) => kind === k || (!values && !live);
  return (
    // The server's French messages, beside each field, rather than the browser's own.
    <Form method="post" className="stack" noValidate>
      <FormError errors={errors} />
      {values ? (
        <input type="hidden" name="kind" value={kind} />
      ) : (
        <div className="field">
          <label htmlFor="f-kind">{t("publishing.channels.kind")}</label>
          <select id="f-kind" name="kind" value={kind} onChange={(e) => setKind(e.target.value as ChannelFormValues["kind"])} aria-describedby={describedBy(errors?.kind && "f-kind-error")}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`publishing.kinds.${k}`)}
              </option>
            ))}
          </select>
          <FieldError id="f-kind-error" message={msg(errors?.kind)} />
          {live ? null : <p className="hint">{t("publishing.channels.kindFieldsHint")}</p>}
        </div>
      )}
      <Field name="name" type="text" label={t("publishing.channels.name")} defaultValue={values?.name} maxLength={100} required errors={errors} />
      <Field name="slug" type="text" label={t("publishing.channels.slug")} defaultValue={values?.slug} maxLength={60} required errors={errors} hint={t("publishing.channels.slugHint")} />
      {shows("mastodon") ? (
        <fieldset className="stack">
          <legend>{t("publishing.kinds.mastodon")}</legend>
          <Field name="instanceUrl" type="url" label={t("publishing.channels.instanceUrl")} defaultValue={s.instanceUrl} required errors={errors} />
          <SecretField name="accessToken" label={t("publishing.channels.accessToken")} stored={stored} errors={errors} />
        </fieldset>
      ) : null}
      {shows("bluesky") ? (
        <fieldset className="stack">
          <legend>{t("publishing.kinds.bluesky")}</legend>
          <Field name="identifier" type="text" label={t("publishing.channels.identifier")} defaultValue={s.identifier} required errors={errors} />
          <SecretField name="appPassword" label={t("publishing.channels.appPassword")} stored={stored} errors={errors} />
          <Field name="service" type="url" label={t("publishing.channels.service")} defaultValue={s.service ?? "https://bsky.social"} errors={errors} />
        </fieldset>
      ) : null}
      {shows("webhook") ? (
        <fieldset className="stack">
          <legend>{t("publishing.kinds.webhook")}</legend>
          <Field name="url" type="url" label={t("publishing.channels.url")} defaultValue={s.url} required errors={errors} />
          <Field name="headerName" type="text" label={t("publishing.channels.headerName")} defaultValue={s.headerName} errors={errors} />
          <Field name="headerValue" type="password" autoComplete="off" label={t("publishing.channels.headerValue")} errors={errors} hint={s.headerName ? t("publishing.channels.secretStored") : undefined} />
          {values ? (
            <label className="choice">
              <input type="checkbox" name="newWebhookSecret" value="1" />
              {t("publishing.channels.newWebhookSecret")}
            </label>
          ) : (
            <p className="hint">{t("publishing.channels.webhookSecretHint")}</p>
          )}
        </fieldset>
      ) : null}
      {shows("feed") ? (
        <fieldset className="stack">
          <legend>{t("publishing.kinds.feed")}</legend>
          <Field name="description" type="text" label={t("publishing.channels.description")} defaultValue={s.description} maxLength={500} errors={errors} />
        </fieldset>
      ) : null}
      {shows("manual") ? <p className="hint">{t("publishing.channels.manualHint")}</p> : null}
      <Field
        name="characterLimit"
        type="number"
        inputMode="numeric"
        min={1}
        max={100000}
        label={t("publishing.channels.characterLimit")}
        defaultValue={values?.characterLimit ?? undefined}
        hint={t("publishing.channels.characterLimitHint")}
        errors={errors}
      />
      <div className="field">
        <label htmlFor="f-imageAspect">{t("publishing.channels.imageAspect")}</label>
        <select id="f-imageAspect" name="imageAspect" defaultValue={values?.imageAspect ?? ""} aria-describedby={describedBy(errors?.imageAspect && "f-imageAspect-error")}>
          <option value="">{t("publishing.channels.aspectDefault")}</option>
          {ASPECTS.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <FieldError id="f-imageAspect-error" message={msg(errors?.imageAspect)} />
      </div>
      <fieldset aria-describedby={describedBy(errors?.slots && "f-slots-error")}>
        <legend>{t("publishing.channels.slots")}</legend>
        <div className="row">
          {WEEKDAYS.map((d) => (
            <label key={d} className="choice">
              <input type="checkbox" name="weekday" value={d} defaultChecked={weekdays.has(d)} />
              {t(`publishing.weekdays.${d}`)}
            </label>
          ))}
        </div>
        <Field name="times" type="text" label={t("publishing.channels.times")} defaultValue={times} hint={t("publishing.channels.timesHint")} />
        <FieldError id="f-slots-error" message={msg(errors?.slots)} />
      </fieldset>
      <div>
        <SubmitButton name="intent" value={intent}>
          {submit}
        </SubmitButton>
      </div>
    </Form>
  );
}
