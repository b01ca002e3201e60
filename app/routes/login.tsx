import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { Field, FormError, SubmitButton } from "~/components/forms";
import { getOptionalUser, safeRedirect } from "~/auth/guards.server";
import { authenticate } from "~/auth/login.server";
import { createSessionCookie } from "~/auth/session.server";
import { challengeCookie, createChallenge } from "~/auth/two-factor.server";
import { db } from "~/db.server";
import { parseForm } from "~/utils/forms";
import { keepRetryAfter } from "~/utils/headers.server";
import { readForm } from "~/utils/forms.server";
import { formatTime, useOrganisationTimeZone } from "~/utils/dates";

export const meta: MetaFunction = () => [{ title: "Connexion · Relais" }];

const schema = z.object({
  email: z.string("login.required").trim().min(1, "login.required").max(254, "login.invalid"),
  password: z.string("login.required").min(1, "login.required").max(1024, "login.invalid"),
  redirectTo: z.string().optional(),
});

export const headers = keepRetryAfter;

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getOptionalUser(request)) throw redirect("/");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = parseForm(schema, await readForm(request));
  if (!parsed.ok) return data({ errors: parsed.errors }, { status: 400 });
  const { email, password, redirectTo } = parsed.data;
  const result = await authenticate(db(), email, password, context.clientIp);
  if (!result.ok) {
    if (result.reason === "throttled") {
      const seconds = Math.max(1, Math.ceil((result.retryAt.getTime() - Date.now()) / 1000));
      return data(
        { errors: { form: ["login.throttled", { time: result.retryAt.toISOString() }] as [string, Record<string, unknown>] } },
        { status: 429, headers: { "Retry-After": String(seconds) } },
      );
    }
    return data({ errors: { form: "login.invalid" } }, { status: 401 });
  }
  if (result.secondFactor) {
    // No session yet: only the code page opens with this cookie.
    const token = await createChallenge(db(), result.userId);
    const next = safeRedirect(redirectTo);
    return redirect(next === "/" ? "/login/code" : `/login/code?redirectTo=${encodeURIComponent(next)}`, {
      headers: { "Set-Cookie": challengeCookie(request, token) },
    });
  }
  return redirect(safeRedirect(redirectTo), {
    headers: { "Set-Cookie": await createSessionCookie(result.userId, request) },
  });
}

export default function Login() {
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { t, i18n } = useTranslation();
  const errors = localiseTimes(actionData?.errors, i18n.language, useOrganisationTimeZone());
  return (
    <section className="card narrow" aria-labelledby="login-title">
      <h1 id="login-title">{t("login.title")}</h1>
      <Form method="post" noValidate>
        <FormError errors={errors} />
        <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />
        <Field name="email" type="email" label={t("login.email")} autoComplete="username" required errors={errors} />
        <Field name="password" type="password" label={t("login.password")} autoComplete="current-password" required errors={errors} />
        <SubmitButton>{t("login.submit")}</SubmitButton>
      </Form>
    </section>
  );
}

/** The retry time travels as ISO; show it as an hour and minute of the organisation's time zone. */
function localiseTimes(errors: Record<string, unknown> | undefined, language: string, timeZone: string) {
  if (!errors) return undefined;
  const form = errors.form;
  if (Array.isArray(form) && form[0] === "login.throttled") {
    const time = formatTime(String(form[1].time), language, timeZone);
    return { ...errors, form: ["login.throttled", { time }] } as Record<string, string | [string, Record<string, unknown>]>;
  }
  return errors as Record<string, string>;
}
