import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { FormError, SubmitButton, useMsg } from "~/components/forms";
import { requireRecentAuth, requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { closeAccount, closurePreview } from "~/privacy/erasure.server";
import { attempt, fieldErrors } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";

export const meta: MetaFunction = () => [{ title: "Fermer un compte · Relais" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const admin = await requireRole(request, "admin");
  return { preview: await closurePreview(db(), admin, params.id ?? "") };
}

/** Closing asks for the box ticked, and for the admin's password when its last check is old. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  await requireRole(request, "admin");
  const admin = await requireRecentAuth(request);
  const form = await readForm(request);
  const userId = params.id ?? "";
  if (form.get("confirm") !== "on") {
    // The account must exist before a form error says anything about it.
    await closurePreview(db(), admin, userId);
    return fieldErrors({ confirm: "closure.confirmRequired" });
  }
  const result = await attempt(() => closeAccount(db(), admin, userId, { ip: context.clientIp }));
  if (!("value" in result)) return result;
  const done = result.value;
  return redirect(`/admin/users?closed=${done.contributionsDeleted}-${done.photosDeleted}`);
}

export default function CloseAccount() {
  const { preview } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const msg = useMsg();
  const errors: FieldErrors | undefined = result && !result.ok ? result.errors : undefined;
  const confirmError = msg(errors?.confirm);
  return (
    <div className="stack">
      <h1>{t("closure.title", { name: preview.name })}</h1>
      <p>{t("closure.intro")}</p>
      <FormError errors={errors} />
      <section className="card" aria-labelledby="deleted-title">
        <h2 id="deleted-title">{t("closure.deletedTitle")}</h2>
        <ul>
          <li>{t("closure.deletedContributions", { count: preview.contributionsDeleted, photos: preview.photosDeleted })}</li>
          <li>{t("closure.deletedComments", { count: preview.commentsDeleted })}</li>
          <li>{t("closure.deletedOther")}</li>
          <li>{t("closure.deletedIdentity")}</li>
        </ul>
      </section>
      <section className="card" aria-labelledby="kept-title">
        <h2 id="kept-title">{t("closure.keptTitle")}</h2>
        <ul>
          <li>{t("closure.keptContributions", { count: preview.contributionsKept })}</li>
          <li>{t("closure.keptAudit")}</li>
          <li>{t("closure.keptPublished")}</li>
        </ul>
      </section>
      <Form method="post" noValidate className="card">
        <div className="field">
          <label className="choice">
            <input
              type="checkbox"
              name="confirm"
              required
              aria-invalid={confirmError ? true : undefined}
              aria-describedby={confirmError ? "confirm-error" : undefined}
            />
            {t("closure.confirm", { name: preview.name })}
          </label>
          {confirmError ? (
            <p className="field-error" id="confirm-error" role="alert">
              {confirmError}
            </p>
          ) : null}
        </div>
        <div className="row">
          <SubmitButton className="danger">{t("closure.submit")}</SubmitButton>
          <Link to="/admin/users">{t("closure.cancel")}</Link>
        </div>
      </Form>
    </div>
  );
}
