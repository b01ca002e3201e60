import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { Field, FormError, SubmitButton } from "~/components/forms";
import { getOptionalUser, safeRedirect } from "~/auth/guards.server";
import { authenticateCode } from "~/auth/login.server";
import { createSessionCookie } from "~/auth/session.server";
import { challengeCookie, challengeToken, challengeUser } from "~/auth/two-factor.server";
import { db } from "~/db.server";
import { parseForm } from "~/utils/forms";
import { keepRetryAfter } from "~/utils/headers.server";
import { readForm } from "~/utils/forms.server";
import { formatTime, useOrganisationTimeZone } from "~/utils/dates";

export const meta: MetaFunction = () => [{ title: "Code de vérification · Relais" }];

const schema = z.object({
  code: z.string("twoFactor.login.required").trim().min(1, "twoFactor.login.required").max(64, "twoFactor.login.invalid"),
  redirectTo: z.string().optional(),
});

export const headers = keepRetryAfter;

export async function loader({ request }: LoaderFunctionArgs) {
  if (await getOptionalUser(request)) throw redirect("/");
  // Without a fresh password step there is nothing to ask: back to the password.
  if (!(await challengeUser(db(), challengeToken(request)))) throw redirect("/login");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const parsed = parseForm(schema, await readForm(request));
  if (!parsed.ok) return data({ errors: parsed.errors }, { status: 400 });
  const token = challengeToken(request);
  const result = await authenticateCode(db(), token, parsed.data.code, context.clientIp);
  if (!result.ok) {
    if (result.reason === "expired") {
      return data({ errors: { form: "twoFactor.login.expired" } }, { status: 401, headers: { "Set-Cookie": challengeCookie(request, null) } });
    }
    if (result.reason === "throttled") {
      const seconds = Math.max(1, Math.ceil((result.retryAt.getTime() - Date.now()) / 1000));
      return data(
        { errors: { form: ["login.throttled", { time: result.retryAt.toISOString() }] as [string, Record<string, unknown>] } },
        { status: 429, headers: { "Retry-After": String(seconds) } },
      );
    }
    return data({ errors: { code: "twoFactor.login.invalid" } }, { status: 401 });
  }
  const headers = new Headers();
  headers.append("Set-Cookie", await createSessionCookie(result.userId, request));
  headers.append("Set-Cookie", challengeCookie(request, null));
  return redirect(safeRedirect(parsed.data.redirectTo), { headers });
}

export default function LoginCode() {
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { t, i18n } = useTranslation();
  const timeZone = useOrganisationTimeZone();
  const errors = actionData?.errors as Record<string, string | [string, Record<string, unknown>]> | undefined;
  const form = errors?.form;
  const shown =
    Array.isArray(form) && form[0] === "login.throttled"
      ? { ...errors, form: ["login.throttled", { time: formatTime(String(form[1].time), i18n.language, timeZone) }] as [string, Record<string, unknown>] }
      : errors;
  return (
    <section className="card narrow" aria-labelledby="code-title">
      <h1 id="code-title">{t("twoFactor.login.title")}</h1>
      <p>{t("twoFactor.login.intro")}</p>
      <Form method="post" noValidate>
        <FormError errors={shown} />
        <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />
        <Field
          name="code"
          label={t("twoFactor.login.code")}
          hint={t("twoFactor.login.codeHint")}
          autoComplete="one-time-code"
          autoCapitalize="none"
          spellCheck={false}
          required
          errors={shown}
        />
        <SubmitButton>{t("twoFactor.login.submit")}</SubmitButton>
      </Form>
      <p>
        <a href="/login">{t("twoFactor.login.restart")}</a>
      </p>
    </section>
  );
}
