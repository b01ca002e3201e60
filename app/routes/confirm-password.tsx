import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { Field, FormError, SubmitButton } from "~/components/forms";
import { getSession, requireUser, safeRedirect } from "~/auth/guards.server";
import { confirmPassword } from "~/auth/login.server";
import { markPasswordChecked } from "~/auth/sessions.server";
import { db } from "~/db.server";
import { parseForm } from "~/utils/forms";
import { keepRetryAfter } from "~/utils/headers.server";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Confirmez votre mot de passe · Relais" }];

const schema = z.object({
  password: z.string("reauth.required").min(1, "reauth.required").max(1024, "reauth.invalid"),
  redirectTo: z.string().optional(),
});

export const headers = keepRetryAfter;

export async function loader({ request }: LoaderFunctionArgs) {
  await requireUser(request);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const parsed = parseForm(schema, await readForm(request));
  if (!parsed.ok) return data({ errors: parsed.errors }, { status: 400 });
  const result = await confirmPassword(db(), user, parsed.data.password, context.clientIp);
  if (!result.ok && result.reason === "throttled") {
    const seconds = Math.max(1, Math.ceil((result.retryAt.getTime() - Date.now()) / 1000));
    return data({ errors: { form: "reauth.throttled" } }, { status: 429, headers: { "Retry-After": String(seconds) } });
  }
  if (!result.ok) return data({ errors: { password: "reauth.invalid" } }, { status: 401 });
  const current = await getSession(request);
  if ("session" in current) await markPasswordChecked(db(), current.session.id);
  return redirect(safeRedirect(parsed.data.redirectTo));
}

export default function ConfirmPassword() {
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { t } = useTranslation();
  return (
    <section className="card narrow" aria-labelledby="reauth-title">
      <h1 id="reauth-title">{t("reauth.title")}</h1>
      <p>{t("reauth.intro")}</p>
      <Form method="post" noValidate>
        <FormError errors={actionData?.errors} />
        <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />
        <Field name="password" type="password" label={t("login.password")} autoComplete="current-password" required errors={actionData?.errors} />
        <SubmitButton>{t("reauth.submit")}</SubmitButton>
      </Form>
    </section>
  );
}
