import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { ChannelForm } from "~/components/channel-form";
import { FieldError, SubmitButton, useMsg } from "~/components/forms";
import { requireRecentAuth, requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { channelInputFromForm, setsSecret } from "~/publishing/channel-form.server";
import { disableChannelByActor, enableChannel, getChannel, updateChannel } from "~/publishing/channels.server";
import { SecretError, secretsKeyReady } from "~/publishing/secrets.server";
import { attempt, fieldErrors, idParam } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Canal de publication · Relais" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  return { channel: await getChannel(db(), user, idParam(params.id)), keyReady: secretsKeyReady() };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const id = idParam(params.id);
  const channel = await getChannel(db(), user, id);
  const form = await readForm(request);
  const intent = form.get("intent");
  if (intent === "enable") {
    await enableChannel(db(), user, id);
    return { ok: true as const, message: "publishing.channels.enabledNow", webhookSecret: null };
  }
  if (intent === "disable") {
    const result = await attempt(() => disableChannelByActor(db(), user, id, String(form.get("reason") ?? "")));
    if (!("value" in result)) return result;
    return { ok: true as const, message: "publishing.channels.disabledNow", webhookSecret: null };
  }
  if (intent !== "save") return fieldErrors({ form: "errors.400" });
  if (setsSecret(form)) await requireRecentAuth(request);
  try {
    const result = await attempt(() => updateChannel(db(), user, id, channelInputFromForm(form, channel.kind), { newWebhookSecret: form.get("newWebhookSecret") === "1" }));
    if (!("value" in result)) return result;
    return data({ ok: true as const, message: "publishing.channels.saved", webhookSecret: result.value.webhookSecret ?? null });
  } catch (error) {
    if (error instanceof SecretError) return fieldErrors({ form: "publishing.errors.secretsKey" }, 503);
    throw error;
  }
}

export default function EditChannel() {
  const { channel, keyReady } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const msg = useMsg();
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  const done = result && "message" in result ? result : undefined;
  return (
    <div className="stack">
      <p>
        <Link to="/publishing/channels">← {t("publishing.channels.title")}</Link>
      </p>
      <h1>{channel.name}</h1>
      <p className="meta">
        {t(`publishing.kinds.${channel.kind}`)}
        {channel.kind === "feed" ? (
          <>
            {" · "}
            <a href={`/feeds/${channel.slug}.rss`}>RSS</a> · <a href={`/feeds/${channel.slug}.atom`}>Atom</a> · <a href={`/feeds/${channel.slug}.json`}>JSON Feed</a>
          </>
        ) : null}
        {channel.kind === "mastodon" || channel.kind === "bluesky" ? (
          <>
            {" · "}
            <Link to={`/publishing/channels/${channel.id}/reach`}>{t("publishing.reach.channelLink")}</Link>
          </>
        ) : null}
      </p>
      {keyReady ? null : (
        <p className="alert" role="alert">
          {t("publishing.errors.secretsKey")}
        </p>
      )}
      {done ? (
        <div className="notice" role="status">
          <p>{msg(done.message)}</p>
          {done.webhookSecret ? (
            <div className="field">
              <label htmlFor="webhook-secret">{t("publishing.channels.webhookSecretOnce")}</label>
              <input id="webhook-secret" readOnly value={done.webhookSecret} />
            </div>
          ) : null}
        </div>
      ) : null}
      {channel.enabled ? null : (
        <p className="alert">{t("publishing.channels.disabled", { reason: channel.disabledReason ?? "" })}</p>
      )}
      <ChannelForm values={channel} errors={errors} intent="save" submit={t("common.save")} />
      <section className="card" aria-labelledby="channel-state">
        <h2 id="channel-state">{t("publishing.channels.state")}</h2>
        {channel.enabled ? (
          <Form method="post" className="stack">
            <div className="field">
              <label htmlFor="f-reason">{t("publishing.channels.reason")}</label>
              <input id="f-reason" name="reason" type="text" maxLength={1000} aria-describedby={errors?.reason ? "f-reason-error" : undefined} />
              <FieldError id="f-reason-error" message={msg(errors?.reason)} />
            </div>
            <div>
              <SubmitButton name="intent" value="disable" className="secondary">
                {t("publishing.channels.disable")}
              </SubmitButton>
            </div>
          </Form>
        ) : (
          <Form method="post">
            <SubmitButton name="intent" value="enable">
              {t("publishing.channels.enable")}
            </SubmitButton>
          </Form>
        )}
      </section>
    </div>
  );
}
