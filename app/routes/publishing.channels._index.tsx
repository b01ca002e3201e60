import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { ChannelForm } from "~/components/channel-form";
import { requireRecentAuth, requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { channelInputFromForm, setsSecret } from "~/publishing/channel-form.server";
import { createChannel, listChannels } from "~/publishing/channels.server";
import { SecretError, secretsKeyReady } from "~/publishing/secrets.server";
import { attempt, fieldErrors } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Canaux de publication · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  return { channels: await listChannels(db(), user), keyReady: secretsKeyReady() };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const form = await readForm(request);
  if (setsSecret(form) || form.get("kind") === "webhook") await requireRecentAuth(request);
  try {
    const result = await attempt(() => createChannel(db(), user, channelInputFromForm(form)));
    if (!("value" in result)) return result;
    // The webhook's signing secret goes to the browser this once, never again.
    return data({ ok: true as const, created: result.value.id, webhookSecret: result.value.webhookSecret ?? null });
  } catch (error) {
    if (error instanceof SecretError) return fieldErrors({ form: "publishing.errors.secretsKey" }, 503);
    throw error;
  }
}

export default function Channels() {
  const { channels, keyReady } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  const created = result && "created" in result ? result : undefined;
  return (
    <div className="stack">
      <p>
        <Link to="/publishing">← {t("publishing.queue.title")}</Link>
      </p>
      <h1>{t("publishing.channels.title")}</h1>
      {keyReady ? null : (
        <p className="alert" role="alert">
          {t("publishing.errors.secretsKey")}
        </p>
      )}
      {created ? (
        <div className="notice" role="status">
          <p>{t("publishing.channels.created")}</p>
          {created.webhookSecret ? (
            <div className="field">
              <label htmlFor="webhook-secret">{t("publishing.channels.webhookSecretOnce")}</label>
              <input id="webhook-secret" readOnly value={created.webhookSecret} />
            </div>
          ) : null}
        </div>
      ) : null}
      {channels.length ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">{t("publishing.channels.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("publishing.channels.name")}</th>
                <th scope="col">{t("publishing.channels.kind")}</th>
                <th scope="col">{t("publishing.channels.characterLimit")}</th>
                <th scope="col">{t("publishing.channels.imageAspect")}</th>
                <th scope="col">{t("publishing.channels.state")}</th>
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/publishing/channels/${c.id}`}>{c.name}</Link>
                  </td>
                  <td>{t(`publishing.kinds.${c.kind}`)}</td>
                  <td>{c.characterLimit}</td>
                  <td>{c.imageAspect}</td>
                  <td>{c.enabled ? t("publishing.channels.enabled") : t("publishing.channels.disabled", { reason: c.disabledReason ?? "" })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>{t("publishing.channels.empty")}</p>
      )}
      <section className="card" aria-labelledby="new-channel">
        <h2 id="new-channel">{t("publishing.channels.new")}</h2>
        <ChannelForm key={created ? `c${created.created}` : "new"} errors={errors} intent="create" submit={t("publishing.channels.create")} />
      </section>
    </div>
  );
}
