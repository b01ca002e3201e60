import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { ContributionForm } from "~/components/contribution-form";
import { requireRole } from "~/auth/guards.server";
import { createContribution } from "~/contributions/contributions.server";
import { ingestUploaded, readContributionForm, refuseUndescribedNewPhotos } from "~/contributions/form.server";
import { MAX_PHOTOS, WRITERS } from "~/contributions/schema";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { attempt } from "~/utils/errors.server";

export const meta: MetaFunction = () => [{ title: "Nouvelle contribution · Relais" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requireRole(request, ...WRITERS);
  return { maxUploadMb: env().MAX_UPLOAD_MB };
}

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireRole(request, ...WRITERS);
  const result = await attempt(async () => {
    const input = await readContributionForm(request, { remainingPhotos: MAX_PHOTOS, photoIds: [] });
    const submit = input.form.get("intent") === "submit";
    if (submit) await refuseUndescribedNewPhotos(input);
    const photos = await ingestUploaded(db(), input.files);
    return { id: await createContribution(db(), user, input.fields, photos, { photoFields: input.newPhotoFields, submit }), submit };
  });
  if (!("value" in result)) return result;
  const { id, submit } = result.value;
  return redirect(submit ? `/contributions/${id}?done=submitted` : `/contributions/${id}/edit?done=created`);
}

export default function NewContribution() {
  const { maxUploadMb } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  return (
    <div className="stack">
      <h1>{t("contributions.newTitle")}</h1>
      <ContributionForm
        remainingPhotos={MAX_PHOTOS}
        maxUploadMb={maxUploadMb}
        errors={result?.errors}
        actions={[
          { intent: "save", label: t("contributions.saveDraft"), secondary: true },
          { intent: "submit", label: t("contributions.submit") },
        ]}
      />
    </div>
  );
}
