import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import type { NotificationKind } from "../../db/schema";
import { requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { setLocale } from "~/organisation/users.server";
import { kindsFor } from "~/notifications/kinds";
import { emailPreferences, setEmailPreferences } from "~/notifications/preferences.server";
import { fieldErrors } from "~/utils/errors.server";
import { parseForm } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Préférences · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const prefs = await emailPreferences(db(), user.id);
  const kinds = kindsFor(user.role);
  return { locale: user.locale, email: user.email, kinds, prefs };
}

const intents = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("locale"), locale: z.enum(["fr", "en"], "errors.400") }),
  z.object({ intent: z.literal("email") }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const form = await readForm(request);
  const parsed = parseForm(intents, form);
  if (!parsed.ok) return fieldErrors(parsed.errors);
  if (parsed.data.intent === "locale") {
    await setLocale(db(), user, parsed.data.locale);
  } else {
    const kinds = form.getAll("kinds").filter((k): k is NotificationKind => kindsFor(user.role).includes(k as NotificationKind));
    await setEmailPreferences(db(), user, { kinds, digest: form.get("digest") === "on" });
  }
  return { ok: true as const };
}

export default function Settings() {
  const { locale, email, kinds, prefs } = useLoaderData<typeof loader>();
  const saved = useActionData<typeof action>();
  const { t } = useTranslation();
  return (
    <div className="stack">
      <h1>{t("nav.settings")}</h1>
      <p className="muted">{email}</p>
      <p>
        <Link to="/settings/security">{t("twoFactor.link")}</Link>
      </p>
      {saved && "ok" in saved && saved.ok ? (
        <p className="notice" role="status">
          {t("notifications.prefs.saved")}
        </p>
      ) : null}
      <Form method="post" className="card">
        <input type="hidden" name="intent" value="locale" />
        <div className="field">
          <label htmlFor="locale">{t("nav.language")}</label>
          <select id="locale" name="locale" defaultValue={locale}>
            <option value="fr">Français</option>
            <option value="en">English</option>
          </select>
        </div>
        <button type="submit">{t("common.save")}</button>
      </Form>
      <Form method="post" className="card">
        <input type="hidden" name="intent" value="email" />
        <fieldset>
          <legend>{t("notifications.prefs.title")}</legend>
          <p>{t("notifications.prefs.intro")}</p>
          {kinds.map((kind) => (
            <label key={kind} className="choice">
              <input type="checkbox" name="kinds" value={kind} defaultChecked={prefs.email_kinds.includes(kind)} />
              {t(`notifications.prefKinds.${kind}`)}
            </label>
          ))}
          <label className="choice">
            <input type="checkbox" name="digest" defaultChecked={prefs.email_digest} />
            {t("notifications.prefs.digest")}
          </label>
        </fieldset>
        <button type="submit">{t("common.save")}</button>
      </Form>
      <section className="card" aria-labelledby="my-data-title">
        <h2 id="my-data-title">{t("dataExport.title")}</h2>
        <p>
          <Link to="/account/export">{t("dataExport.request")}</Link>
        </p>
      </section>
    </div>
  );
}
