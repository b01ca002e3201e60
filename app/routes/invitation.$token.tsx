import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { Field, FormError } from "~/components/forms";
import { acceptInvitation, checkInvitation } from "~/auth/invitations.server";
import { PASSWORD_MIN_LENGTH } from "~/auth/password-rules";
import { createSessionCookie } from "~/auth/session.server";
import { db } from "~/db.server";
import { readForm } from "~/utils/forms.server";

// Public page: the token itself is the credential. A used, expired or unknown link gets a clear page.
export async function loader({ params }: LoaderFunctionArgs) {
  const invitation = await checkInvitation(db(), params.token ?? "");
  const status = invitation.state === "valid" ? 200 : invitation.state === "unknown" ? 404 : 410;
  return data(
    invitation.state === "valid"
      ? { state: "valid" as const, email: invitation.email, displayName: invitation.displayName }
      : { state: invitation.state },
    { status, headers: { "Referrer-Policy": "no-referrer" } },
  );
}

export async function action({ request, params }: ActionFunctionArgs) {
  const form = await readForm(request);
  const result = await acceptInvitation(db(), params.token ?? "", String(form.get("password") ?? ""), String(form.get("confirm") ?? ""));
  if (!result.ok) {
    const message = result.params ? ([result.key, result.params] as [string, Record<string, unknown>]) : result.key;
    return data({ errors: { [result.field]: message } }, { status: result.field === "form" ? 410 : 400 });
  }
  return redirect("/", { headers: { "Set-Cookie": await createSessionCookie(result.userId, request) } });
}

export default function Invitation() {
  const invitation = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { t } = useTranslation();
  if (invitation.state !== "valid") {
    return (
      <section className="card narrow" aria-labelledby="invite-title">
        <h1 id="invite-title">{t("invite.invalidTitle")}</h1>
        <p>{t(`invite.${invitation.state}`)}</p>
        <Link to="/login">{t("invite.toLogin")}</Link>
      </section>
    );
  }
  return (
    <section className="card narrow" aria-labelledby="invite-title">
      <h1 id="invite-title">{t("invite.title")}</h1>
      <p>{t("invite.intro", { name: invitation.displayName, email: invitation.email })}</p>
      <Form method="post" noValidate>
        <FormError errors={actionData?.errors} />
        <input type="hidden" name="username" autoComplete="username" value={invitation.email} />
        <Field
          name="password"
          type="password"
          label={t("invite.password")}
          autoComplete="new-password"
          minLength={PASSWORD_MIN_LENGTH}
          required
          hint={t("invite.tooShort", { min: PASSWORD_MIN_LENGTH })}
          errors={actionData?.errors}
        />
        <Field name="confirm" type="password" label={t("invite.confirm")} autoComplete="new-password" required errors={actionData?.errors} />
        <button type="submit">{t("invite.submit")}</button>
      </Form>
    </section>
  );
}
