import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { requireUser } from "~/auth/guards.server";
import { db } from "~/db.server";
import { setLocale } from "~/organisation/users.server";
import { fieldErrors } from "~/utils/errors.server";
import { parseForm } from "~/utils/forms";

export const meta: MetaFunction = () => [{ title: "Préférences · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return { locale: user.locale, email: user.email };
}

const schema = z.object({ locale: z.enum(["fr", "en"], "errors.400") });

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const parsed = parseForm(schema, await request.formData());
  if (!parsed.ok) return fieldErrors(parsed.errors);
  await setLocale(db(), user.id, parsed.data.locale);
  return { ok: true as const };
}

export default function Settings() {
  const { locale, email } = useLoaderData<typeof loader>();
  const saved = useActionData<typeof action>();
  const { t } = useTranslation();
  return (
    <div className="stack">
      <h1>{t("nav.settings")}</h1>
      <p className="muted">{email}</p>
      {saved?.ok ? (
        <p className="notice" role="status">
          {t("admin.users.updated")}
        </p>
      ) : null}
      <Form method="post" className="card">
        <div className="field">
          <label htmlFor="locale">{t("nav.language")}</label>
          <select id="locale" name="locale" defaultValue={locale}>
            <option value="fr">Français</option>
            <option value="en">English</option>
          </select>
        </div>
        <button type="submit">{t("common.save")}</button>
      </Form>
    </div>
  );
}
