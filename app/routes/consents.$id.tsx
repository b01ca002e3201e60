import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { ConsentFileField, ConsentSummary } from "~/components/consent-summary";
import { FormError, SubmitButton, useMsg } from "~/components/forms";
import { PhotoImage } from "~/components/photo-image";
import { requireUser } from "~/auth/guards.server";
import { assertConsentKeeper, attachForm, discardUpload, getConsent, readConsentRequest, unlinkPhoto, withdrawConsent } from "~/consent/consents.server";
import { db } from "~/db.server";
import { attempt, fieldErrors, FormRefusal, idParam } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";
import { useDates } from "~/utils/dates";

export const meta: MetaFunction = () => [{ title: "Autorisation · Registre des consentements · Relais" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  assertConsentKeeper(user);
  return getConsent(db(), user, idParam(params.id));
}

const photoId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  assertConsentKeeper(user);
  const id = idParam(params.id);
  // Attaching the signed form is the one multipart form of the page.
  if ((request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data")) {
    let read: Awaited<ReturnType<typeof readConsentRequest>>;
    try {
      read = await readConsentRequest(request);
    } catch (error) {
      if (error instanceof FormRefusal) return fieldErrors(error.errors, error.status);
      throw error;
    }
    if (!read.file) return fieldErrors({ form_file: "consent.errors.formMissing" });
    if (read.form.get("intent") !== "attach") {
      await discardUpload(read.file);
      return fieldErrors({ form: "errors.400" });
    }
    const file = read.file;
    const result = await attempt(() => attachForm(db(), user, id, file));
    if (!("value" in result)) return result;
    return { ok: true as const, message: "consent.attached" };
  }
  const form = await readForm(request);
  const intent = form.get("intent");
  if (intent === "withdraw") {
    const result = await attempt(() => withdrawConsent(db(), user, id));
    if (!("value" in result)) return result;
    return { ok: true as const, message: ["consent.withdrawnDone", { held: result.value.held }] as [string, Record<string, unknown>] };
  }
  if (intent === "unlink") {
    const photo = photoId.safeParse(form.get("photoId"));
    if (!photo.success) throw new Response("Not Found", { status: 404 });
    await unlinkPhoto(db(), user, id, photo.data);
    return { ok: true as const, message: "consent.unlinked" };
  }
  return fieldErrors({ form: "errors.400" });
}

export default function ConsentPage() {
  const { consent: c, photos, hiddenPhotos, published } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { t } = useTranslation();
  const msg = useMsg();
  const dates = useDates();
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  const fileError = msg(errors?.form_file);
  const notice = result && "message" in result ? result.message : params.get("recorded") ? "consent.recorded" : null;
  return (
    <div className="stack">
      <p>
        <Link to="/consents">← {t("consent.back")}</Link>
      </p>
      {notice ? (
        <p className="notice" role="status">
          {msg(notice)}
        </p>
      ) : null}
      <FormError errors={errors} />
      <header>
        <p className="meta">{t("consent.number", { id: c.id })}</p>
        <h1>{c.label}</h1>
        <ConsentSummary consent={c} />
        {c.withdrawn_at ? <p>{t("consent.withdrawnOn", { date: dates.date(c.withdrawn_at), name: c.withdrawn_by_name ?? "—" })}</p> : null}
      </header>

      <section className="card stack" aria-labelledby="form-title">
        <h2 id="form-title">{t("consent.form")}</h2>
        {c.form_type && c.form_bytes ? (
          <p>
            <a href={`/consents/${c.id}/form`} download>
              {t("consent.downloadForm", { size: Math.max(1, Math.round(c.form_bytes / 1024)) })}
            </a>
          </p>
        ) : (
          <p>{t("consent.noForm")}</p>
        )}
        <Form method="post" encType="multipart/form-data" className="stack">
          <input type="hidden" name="intent" value="attach" />
          <ConsentFileField error={fileError} />
          <div>
            <SubmitButton className="secondary">{t("consent.attach")}</SubmitButton>
          </div>
        </Form>
      </section>

      <section className="stack" aria-labelledby="photos-title">
        <h2 id="photos-title">{t("consent.photos")}</h2>
        {photos.length === 0 && hiddenPhotos === 0 ? <p>{t("consent.noPhotos")}</p> : null}
        <div className="gallery">
          {photos.map((p) => (
            <figure key={p.id} className="card">
              <PhotoImage photo={{ id: p.id, width: p.width, height: p.height, placeholder: p.placeholder, alt: p.alt }} rendition="thumb" />
              <figcaption>
                <Link to={`/contributions/${p.contributionId}`}>{t("consent.photoOf", { n: p.n, title: p.title })}</Link>
              </figcaption>
              <Form method="post">
                <input type="hidden" name="photoId" value={p.id} />
                <SubmitButton name="intent" value="unlink" className="link-button">
                  {t("consent.unlink")}
                  <span className="visually-hidden"> {t("consent.unlinkOf", { n: p.n, title: p.title })}</span>
                </SubmitButton>
              </Form>
            </figure>
          ))}
        </div>
        {hiddenPhotos > 0 ? <p>{t("consent.hiddenPhotos", { n: hiddenPhotos })}</p> : null}
      </section>

      <section className="stack" aria-labelledby="published-title">
        <h2 id="published-title">{t("consent.published")}</h2>
        {published.length ? (
          <>
            <p className="hint">{t("consent.publishedHint")}</p>
            <ul>
              {published.map((p) => (
                <li key={p.id}>
                  {p.channel} — « {p.title} » :{" "}
                  {p.url && /^https?:\/\//.test(p.url) ? <a href={p.url}>{p.url}</a> : t("consent.noLink")}
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p>{t("consent.noPublished")}</p>
        )}
      </section>

      {c.withdrawn_at ? null : (
        <Form method="post">
          <SubmitButton name="intent" value="withdraw" className="danger" confirm={t("consent.withdrawConfirm")}>
            {t("consent.withdraw")}
          </SubmitButton>
        </Form>
      )}
    </div>
  );
}
