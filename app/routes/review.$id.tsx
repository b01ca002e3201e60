import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams, type ShouldRevalidateFunction } from "@remix-run/react";
import { data, redirect } from "@remix-run/node";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { Notice, ResultNotice } from "~/components/notice";
import { describedBy, Field, FieldError, FormError, SubmitButton, useMsg } from "~/components/forms";
import { History } from "~/components/history";
import { PhotoImage } from "~/components/photo-image";
import { BlocksList, ExternalBlocksNote, type PhotoBlock } from "~/components/photo-details";
import { VisibilityChoice } from "~/components/visibility-choice";
import { WithdrawRightsButton } from "~/components/withdraw-rights";
import { PhotoConsents } from "~/components/photo-consents";
import { consentsOfPhotos, linkPhoto, listConsents } from "~/consent/consents.server";
import { RichTextField } from "~/components/rich-text-field";
import { requireRole } from "~/auth/guards.server";
import { getContribution } from "~/contributions/contributions.server";
import { plainTextToDoc } from "~/contributions/form.server";
import { isLocalDateTime, LIMITS, photoFieldId, photoFieldName } from "~/contributions/schema";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { setEmbargo } from "~/publishing/embargo.server";
import { localInput, localInstant } from "~/publishing/queue-view.server";
import { externalBlocks, withdrawRights } from "~/photos/rights.server";
import { commsEditSchema, decide, decisionSchema, editInReview, type Decision } from "~/review/review.server";
import { attempt, fieldErrors, idParam } from "~/utils/errors.server";
import { parseForm, type FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";
import { useDates, useOrganisationTimeZone } from "~/utils/dates";

export const meta: MetaFunction = () => [{ title: "Relecture · Relais" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms");
  const id = idParam(params.id);
  const c = await getContribution(db(), user, id);
  const embargo = c.embargo_until ? localInput(new Date(c.embargo_until), env().ORGANISATION_TIME_ZONE) : "";
  const [blocks, consents, consentOptions] = await Promise.all([
    externalBlocks(db(), id),
    consentsOfPhotos(db(), user, c.photos.map((p) => p.id)),
    c.photos.length ? listConsents(db(), user, { filter: "active" }) : [],
  ]);
  return { c, embargo, blocks, consents, consentOptions };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireRole(request, "comms");
  const id = idParam(params.id);
  const form = await readForm(request);
  const intent = form.get("intent");
  if (intent === "edit") {
    if (!form.get("body") && typeof form.get("bodyPlain") === "string") form.set("body", plainTextToDoc(String(form.get("bodyPlain"))));
    const parsed = parseForm(commsEditSchema, form);
    if (!parsed.ok) return fieldErrors(parsed.errors);
    const alts: Record<number, string> = {};
    for (const [key, value] of form) {
      const m = /^photo\.(\d+)\.alt$/.exec(key);
      if (m && typeof value === "string") alts[Number(m[1])] = value;
    }
    const result = await attempt(() => editInReview(db(), user, id, { ...parsed.data, alts }));
    if (!("value" in result)) return result;
    return { ok: true as const, message: result.value ? "review.edited" : "review.noChange" };
  }
  if (intent === "embargo") {
    const value = form.get("embargo") ?? "";
    if (typeof value !== "string" || (value !== "" && !isLocalDateTime(value))) return fieldErrors({ embargo: "contributions.errors.embargo" });
    const result = await attempt(() => setEmbargo(db(), user, id, value ? localInstant(value, env().ORGANISATION_TIME_ZONE) : null));
    if (!("value" in result)) return result;
    return { ok: true as const, message: "review.embargoSaved" };
  }
  if (intent === "linkConsent") {
    const photoId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).safeParse(form.get("photoId"));
    if (!photoId.success) throw new Response("Not Found", { status: 404 });
    const consentId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).safeParse(form.get("consentId"));
    if (!consentId.success) return fieldErrors({ form: "consent.errors.choose" });
    await linkPhoto(db(), user, consentId.data, photoId.data, { contributionId: id });
    return { ok: true as const, message: "consent.linked" };
  }
  if (intent === "withdrawRights") {
    const photoId = z.coerce.number().int().positive().safeParse(form.get("photoId"));
    if (!photoId.success) throw new Response("Not Found", { status: 404 });
    const result = await attempt(() => withdrawRights(db(), user, id, photoId.data));
    if (!("value" in result)) return result;
    return { ok: true as const, message: "review.rightsWithdrawn" };
  }
  const parsed = parseForm(decisionSchema, { ...Object.fromEntries(form), decision: intent });
  if (!parsed.ok) {
    // The two forms both have a "message": say which one the error belongs to.
    const { message, ...rest } = parsed.errors;
    return fieldErrors(message ? { ...rest, [intent === "reject" ? "rejectMessage" : "changesMessage"]: message } : rest);
  }
  const result = await attempt(() => decide(db(), user, id, parsed.data));
  if (!("value" in result)) {
    // Someone else acted first: the words of this refused decision come back, to be reused.
    const typed = form.get("message");
    const text = parsed.data.decision === "approve" || typeof typed !== "string" ? "" : typed;
    if (result.init?.status === 409 && text) return data({ ...result.data, unsent: { decision: parsed.data.decision, text } }, { status: 409 });
    return result;
  }
  const status = parsed.data.decision === "approve" ? "approved" : parsed.data.decision === "reject" ? "rejected" : "changes_requested";
  return redirect(`/review/${id}?done=${status}`);
}

/**
 * Remix does not reload the page's data after a refused action (4xx). After a conflict (409), it
 * must: the reviewer then sees the state and the decision that won, not the page as it was.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({ actionStatus, defaultShouldRevalidate }) =>
  actionStatus === 409 || defaultShouldRevalidate;

function GateErrors({ errors }: { errors?: FieldErrors }) {
  const { t } = useTranslation();
  const msg = useMsg();
  const e = errors?.externalEligible;
  if (!e) return null;
  if (Array.isArray(e) && e[0] === "review.errors.gates") {
    const blocks = (e[1] as { blocks: PhotoBlock[] }).blocks;
    return (
      <div className="alert" role="alert" id="external-error" tabIndex={-1}>
        <p>{t("review.errors.gates")}</p>
        <BlocksList blocks={blocks} />
      </div>
    );
  }
  return <FieldError id="external-error" message={msg(e)} />;
}

/** A decision that needs words: request changes (a comment) or reject (a reason). */
function ReasonForm(props: { version: number; intent: string; id: string; label: string; button: string; error?: string; danger?: boolean }) {
  return (
    <Form method="post" className="stack">
      <input type="hidden" name="version" value={props.version} />
      <div className="field">
        <label htmlFor={`${props.id}-message`}>{props.label}</label>
        <textarea
          id={`${props.id}-message`}
          name="message"
          rows={3}
          maxLength={5000}
          aria-describedby={describedBy(props.error && `${props.id}-error`)}
          aria-invalid={props.error ? true : undefined}
        />
        <FieldError id={`${props.id}-error`} message={props.error} />
      </div>
      <div>
        <button type="submit" name="intent" value={props.intent} className={props.danger ? "danger" : "secondary"}>
          {props.button}
        </button>
      </div>
    </Form>
  );
}

export default function ReviewContribution() {
  const { c, embargo, blocks, consents, consentOptions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { t } = useTranslation();
  const msg = useMsg();
  const dates = useDates();
  const timeZone = useOrganisationTimeZone();
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  const done = params.get("done");
  const inReview = c.status === "submitted";
  const conflict = errors?.form === "review.errors.conflict" || errors?.form === "review.errors.notInReview";
  const unsent = result && "unsent" in result ? (result.unsent as { decision: Decision["decision"]; text: string }) : undefined;
  // The page was reloaded after the conflict: its last event is what got there first.
  const latest = conflict ? c.history.at(-1) : undefined;
  return (
    <div className="stack">
      <p>
        <Link to="/review">← {t("review.title")}</Link>
      </p>
      {done && !result ? (
        <Notice>{msg(`review.decided.${done}`)}</Notice>
      ) : null}
      <ResultNotice result={result} />
      {conflict ? (
        <div className="alert" role="alert" tabIndex={-1}>
          <p>{msg(errors?.form)}</p>
          {latest ? (
            <p>
              {t("review.lastAction", {
                action: t(`history.${latest.kind}`, { actor: latest.actor_name ?? t("history.someone") }),
                date: dates.dateTime(latest.created_at),
              })}
            </p>
          ) : null}
        </div>
      ) : (
        <FormError errors={errors} />
      )}
      {unsent && !inReview ? (
        <div className="field card">
          <label htmlFor="unsent-text">{t(unsent.decision === "reject" ? "review.unsentReject" : "review.unsentChanges")}</label>
          <textarea id="unsent-text" readOnly rows={3} value={unsent.text} aria-describedby="unsent-hint" />
          <p className="hint" id="unsent-hint">
            {t("review.unsentHint")}
          </p>
        </div>
      ) : null}
      <header>
        <span className={`status ${c.status}`}>{t(`contributions.status.${c.status}`)}</span>
        <h1>{c.title}</h1>
        <p className="meta">
          <span>{t("contributions.by", { name: c.author_name })}</span>
          <span>{c.department_name}</span>
          <span>{t("review.wish", { wish: t(`contributions.visibility.${c.visibility_wish}`) })}</span>
          {c.propose_external ? <strong>{t("review.proposedExternal")}</strong> : null}
          {c.embargo_until ? <strong>{t("contributions.embargoShown", { date: dates.dateTime(c.embargo_until) })}</strong> : null}
        </p>
      </header>
      {c.status === "approved" && c.external_eligible ? (
        <p>
          <Link className="button secondary" to={`/publishing/new/${c.id}`}>
            {t("publishing.create.link")}
          </Link>
        </p>
      ) : null}
      <div className="prose card" dangerouslySetInnerHTML={{ __html: c.body_html }} />

      {c.photos.length ? (
        <section aria-labelledby="photos-title">
          <h2 id="photos-title">{t("contributions.photos")}</h2>
          <div className="gallery">
            {c.photos.map((p, i) => {
              const block = blocks.find((b) => b.photo === i + 1);
              return (
                <figure key={p.id} className="card">
                  <PhotoImage photo={{ ...p, alt: p.alt_text }} rendition="display" />
                  <figcaption>
                    <strong>{t("photos.photo", { n: i + 1 })}</strong>
                    <br />
                    {t("photos.alt")} : {p.alt_text || <em>{t("photos.noAlt")}</em>}
                    <br />
                    {t("photos.credit")} : {p.credit || "—"}
                    <br />
                    {t("photos.rights")} : {t(`photos.rightsStatus.${p.rights_status}`)}
                    {p.rights_status === "authorised" ? ` (${t(p.rights_scope === "external" ? "photos.scopeExternal" : "photos.scopeInternal")})` : ""}
                    {p.rights_expires_on ? ` — ${t("photos.expires")} ${p.rights_expires_on}` : ""}
                    {p.rights_withdrawn_at ? (
                      <>
                        <br />
                        <strong>{t("photos.withdrawn", { date: dates.date(p.rights_withdrawn_at) })}</strong>
                      </>
                    ) : null}
                    {block ? (
                      <>
                        <br />
                        <span className="field-error">{t(`review.gates.${block.reason}`)}</span>
                      </>
                    ) : null}
                  </figcaption>
                  <WithdrawRightsButton photo={p} n={i + 1} />
                  <PhotoConsents photoId={p.id} n={i + 1} linked={consents} options={consentOptions} />
                </figure>
              );
            })}
          </div>
        </section>
      ) : null}

      {inReview ? (
        <>
          <section className="card" aria-labelledby="decide-title">
            <h2 id="decide-title">{t("review.decide")}</h2>
            <Form method="post" className="stack">
              <input type="hidden" name="version" value={c.version} />
              <VisibilityChoice
                name="visibility"
                legend={t("review.approveVisibility")}
                labels={{ department: t("contributions.visibility.department"), organisation: t("contributions.visibility.organisation") }}
                defaultValue={c.visibility_wish} error={msg(errors?.visibility)} />
              <label className="choice">
                <input
                  type="checkbox"
                  name="externalEligible"
                  defaultChecked={c.propose_external && blocks.length === 0}
                  aria-describedby={describedBy(blocks.length > 0 && "external-note", errors?.externalEligible && "external-error")}
                />
                {t("review.externalEligible")}
              </label>
              <ExternalBlocksNote id="external-note" blocks={blocks} />
              <GateErrors errors={errors} />
              <div>
                <button type="submit" name="intent" value="approve">
                  {t("review.approve")}
                </button>
              </div>
            </Form>
            <ReasonForm version={c.version} intent="request_changes" id="changes" label={t("review.changesComment")} button={t("review.requestChanges")} error={msg(errors?.changesMessage)} />
            <ReasonForm version={c.version} intent="reject" id="reject" label={t("review.rejectReason")} button={t("review.reject")} error={msg(errors?.rejectMessage)} danger />
          </section>

          <section className="card" aria-labelledby="edit-title">
            <h2 id="edit-title">{t("review.editTitle")}</h2>
            <p className="hint">{t("review.editHint")}</p>
            <Form method="post" className="stack" key={c.version}>
              <input type="hidden" name="version" value={c.version} />
              <Field name="title" type="text" label={t("contributions.title")} defaultValue={c.title} maxLength={LIMITS.title} errors={errors} />
              <RichTextField name="body" label={t("contributions.body")} defaultValue={c.body_json} error={msg(errors?.body)} />
              {c.photos.map((p, i) => {
                const altError = msg(errors?.[photoFieldName(p.id, "alt")]);
                const altId = photoFieldId(p.id, "alt");
                return (
                  <div className="field" key={p.id}>
                    <label htmlFor={altId}>
                      {t("photos.photo", { n: i + 1 })} — {t("photos.alt")}
                    </label>
                    <textarea
                      id={altId}
                      name={photoFieldName(p.id, "alt")}
                      rows={2}
                      maxLength={LIMITS.alt}
                      defaultValue={p.alt_text}
                      aria-invalid={altError ? true : undefined}
                      aria-describedby={altError ? `${altId}-error` : undefined}
                    />
                    <FieldError id={`${altId}-error`} message={altError} />
                  </div>
                );
              })}
              <div>
                <button type="submit" name="intent" value="edit" className="secondary">
                  {t("review.saveEdit")}
                </button>
              </div>
            </Form>
          </section>
        </>
      ) : null}

      <section className="card" aria-labelledby="embargo-title">
        <h2 id="embargo-title">{t("review.embargoTitle")}</h2>
        <Form method="post" className="stack" noValidate key={embargo}>
          <Field
            name="embargo"
            type="datetime-local"
            label={t("contributions.embargo")}
            hint={`${t("contributions.embargoHint", { zone: timeZone })} ${t("review.embargoHelp")}`}
            defaultValue={embargo}
            errors={errors}
          />
          <div>
            <SubmitButton name="intent" value="embargo" className="secondary">
              {t("review.saveEmbargo")}
            </SubmitButton>
          </div>
        </Form>
      </section>

      <History events={c.history} />
    </div>
  );
}
