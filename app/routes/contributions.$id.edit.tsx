import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { ContributionForm } from "~/components/contribution-form";
import { requireUser } from "~/auth/guards.server";
import { getContribution, saveByAuthor } from "~/contributions/contributions.server";
import { ingestUploaded, readContributionForm } from "~/contributions/form.server";
import { MAX_PHOTOS } from "~/contributions/schema";
import { AUTHOR_EDITABLE } from "~/contributions/schema";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { localInput } from "~/publishing/queue-view.server";
import { attempt, idParam } from "~/utils/errors.server";
import { useMsg } from "~/components/forms";

export const meta: MetaFunction = () => [{ title: "Modifier · Relais" }];

/** The author's edit page; others get 403 (or 404 when they may not even see it). */
async function editable(request: Request, id: number) {
  const user = await requireUser(request);
  const c = await getContribution(db(), user, id);
  if (c.author_id !== user.id) throw new Response("Forbidden", { status: 403 });
  if (!AUTHOR_EDITABLE.includes(c.status)) throw redirect(`/contributions/${id}`);
  return { user, c };
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { c } = await editable(request, idParam(params.id));
  const embargo = c.embargo_until ? localInput(new Date(c.embargo_until), env().ORGANISATION_TIME_ZONE) : null;
  return { c, embargo, maxUploadMb: env().MAX_UPLOAD_MB };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const id = idParam(params.id);
  const { user, c } = await editable(request, id);
  const result = await attempt(async () => {
    const input = await readContributionForm(request, { remainingPhotos: MAX_PHOTOS - c.photos.length, photoIds: c.photos.map((p) => p.id) });
    const newPhotos = await ingestUploaded(db(), input.files);
    const submit = input.form.get("intent") === "submit";
    await saveByAuthor(db(), user, id, { ...input, newPhotos, submit });
    return submit;
  });
  if (!("value" in result)) return result;
  return redirect(result.value ? `/contributions/${id}?done=submitted` : `/contributions/${id}/edit?done=saved`);
}

export default function EditContribution() {
  const { c, embargo, maxUploadMb } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { t } = useTranslation();
  const msg = useMsg();
  const done = params.get("done");
  const canSubmit = c.status === "draft" || c.status === "changes_requested";
  return (
    <div className="stack">
      <h1>{t("contributions.editTitle")}</h1>
      <p>
        <span className={`status ${c.status}`}>{t(`contributions.status.${c.status}`)}</span>{" "}
        <Link to={`/contributions/${c.id}`}>{t("contributions.view")}</Link>
      </p>
      {done && !result ? (
        <p className="notice" role="status">
          {msg(`contributions.${done === "created" ? "created" : "saved"}`)}
        </p>
      ) : null}
      <ContributionForm
        key={c.version}
        defaults={{
          title: c.title,
          bodyJson: c.body_json,
          tags: c.tags,
          eventDate: c.event_date,
          place: c.place,
          embargo,
          visibilityWish: c.visibility_wish,
          proposeExternal: c.propose_external,
        }}
        photos={c.photos}
        remainingPhotos={MAX_PHOTOS - c.photos.length}
        maxUploadMb={maxUploadMb}
        errors={result?.errors}
        actions={[
          { intent: "save", label: t("contributions.save"), secondary: canSubmit },
          ...(canSubmit
            ? [{ intent: "submit", label: c.status === "changes_requested" ? t("contributions.resubmit") : t("contributions.submit") }]
            : []),
        ]}
      />
    </div>
  );
}
