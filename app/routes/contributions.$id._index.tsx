import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useFormAction, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { ClientNavigation } from "~/components/client-navigation";
import { FormError, SubmitButton, useMsg } from "~/components/forms";
import { History } from "~/components/history";
import { KeptMarkup } from "~/components/kept-markup";
import { PhotoImage } from "~/components/photo-image";
import { PublishedOn } from "~/components/published-on";
import { WithdrawRightsButton } from "~/components/withdraw-rights";
import { contentVersion, requireUser } from "~/auth/guards.server";
import { addComment, commentBody, deleteComment, editComment, thank } from "~/contributions/comments.server";
import { contributionPage } from "~/contributions/contribution-page.server";
import { deleteContribution, submitContribution, withdrawContribution } from "~/contributions/contributions.server";
import { AUTHOR_EDITABLE, photoFieldId, photoFieldName } from "~/contributions/schema";
import { db } from "~/db.server";
import { withdrawRights } from "~/photos/rights.server";
import { attempt, fieldErrors, idParam } from "~/utils/errors.server";
import { parseForm } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";
import { datesIn, useDates, useOrganisationTimeZone } from "~/utils/dates";
import { shownAsMarkup, unpack } from "~/utils/packed";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.c.title ?? "Contribution"} · Relais` }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const page = await contributionPage(db(), user, idParam(params.id), await contentVersion(request));
  // Its text and photos, as the same markup for everyone: in a whole page, as markup only.
  return { ...page, shown: shownAsMarkup(page.shown, context), me: { id: user.id, role: user.role } };
}

const intents = z.discriminatedUnion("intent", [
  z.object({ intent: z.enum(["submit", "withdraw", "delete", "thank"]) }),
  z.object({ intent: z.literal("comment"), body: commentBody }),
  z.object({ intent: z.literal("editComment"), commentId: z.coerce.number().int().positive(), body: commentBody }),
  z.object({ intent: z.literal("deleteComment"), commentId: z.coerce.number().int().positive() }),
  z.object({ intent: z.literal("withdrawRights"), photoId: z.coerce.number().int().positive() }),
]);

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireUser(request);
  const id = idParam(params.id);
  const parsed = parseForm(intents, await readForm(request));
  if (!parsed.ok) return fieldErrors(parsed.errors);
  const input = parsed.data;
  const result = await attempt(async () => {
    switch (input.intent) {
      case "submit":
        return submitContribution(db(), user, id);
      case "withdraw":
        return withdrawContribution(db(), user, id);
      case "delete":
        return deleteContribution(db(), user, id);
      case "thank":
        return thank(db(), user, id);
      case "comment":
        return void (await addComment(db(), user, id, input.body));
      case "editComment":
        return editComment(db(), user, input.commentId, input.body);
      case "deleteComment":
        return deleteComment(db(), user, input.commentId);
      case "withdrawRights":
        // Comms or the DPO (admin) record that a person withdrew their consent.
        return withdrawRights(db(), user, id, input.photoId);
    }
  });
  if (!("value" in result)) return result;
  if (input.intent === "delete") return redirect("/my?done=deleted");
  if (input.intent === "submit" || input.intent === "withdraw") return redirect(`/contributions/${id}?done=${input.intent === "submit" ? "submitted" : "withdrawn"}`);
  return { ok: true as const };
}

type Shown = ReturnType<typeof useLoaderData<typeof loader>>["shown"];

/**
 * What everyone who may read it sees the same way (kept markup): its status, title, authorship and
 * tags. A pure function of its props and the language.
 */
function ShownHeader({ packed, timeZone }: { packed: Shown; timeZone: string }) {
  const { t, i18n } = useTranslation();
  const c = unpack(packed);
  const dates = datesIn(i18n.language, timeZone);
  return (
    <>
      <p>
        <span className={`status ${c.status}`}>{t(`contributions.status.${c.status}`)}</span>{" "}
        {c.visibility ? <span className="muted">{t(`contributions.visibility.${c.visibility}`)}</span> : null}
      </p>
      <h1>{c.title}</h1>
      <p className="meta">
        <span>{t("contributions.by", { name: c.author_name })}</span>
        <span>{c.department_name}</span>
        {c.event_date ? <span>{dates.date(c.event_date, "long")}</span> : null}
        {c.place ? <span>{c.place}</span> : null}
        {/* Everyone who reads it sees it: an embargo binds whoever would share it outside. */}
        {c.embargo_until ? <strong>{t("contributions.embargoShown", { date: dates.dateTime(c.embargo_until) })}</strong> : null}
      </p>
      {c.tags.length ? (
        <ul className="tags" aria-label={t("contributions.tags")}>
          {c.tags.map((tag) => (
            <li key={tag}>{tag}</li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

/**
 * Its text and photos (kept markup): the photos open as files; given `withdrawAction` (comms and
 * admins), a plain form to record that a person withdrew their consent follows each photo whose
 * authorisation is in force. A pure function of its props and the language.
 */
function ShownBody({ packed, timeZone, withdrawAction }: { packed: Shown; timeZone: string; withdrawAction: string | null }) {
  const { t, i18n } = useTranslation();
  const c = unpack(packed);
  const dates = datesIn(i18n.language, timeZone);
  return (
    <>
      {/* Sanitised on the server when saved (allowlist): never raw user HTML. */}
      <div className="prose card" dangerouslySetInnerHTML={{ __html: c.body_html }} />
      {c.photos.length ? (
        <div className="gallery">
          {c.photos.map((p, i) => (
            <figure key={p.id}>
              <a
                href={`/photos/${p.id}/master`}
                data-document
                aria-label={p.alt_text ? t("photos.originalWithAlt", { n: i + 1, alt: p.alt_text }) : t("photos.original", { n: i + 1 })}
              >
                <PhotoImage photo={{ ...p, alt: p.alt_text }} rendition="display" />
              </a>
              {p.credit ? <figcaption>© {p.credit}</figcaption> : null}
              {p.rights_withdrawn_at ? (
                <figcaption>
                  <strong>{t("photos.withdrawn", { date: dates.date(p.rights_withdrawn_at) })}</strong>
                </figcaption>
              ) : null}
              {withdrawAction !== null ? <WithdrawRightsButton photo={p} n={i + 1} action={withdrawAction} /> : null}
            </figure>
          ))}
        </div>
      ) : null}
    </>
  );
}

export default function ContributionPage() {
  const { c, shown, comments, me, isAuthor, published, canPublish } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const { t } = useTranslation();
  const msg = useMsg();
  const dates = useDates();
  const timeZone = useOrganisationTimeZone();
  const formAction = useFormAction();
  const errors = result && "errors" in result ? result.errors : undefined;
  const done = params.get("done");
  // A submission refused for missing descriptions: this page has no field for them, the edit page has.
  const undescribed = c.photoIds.find((id) => errors?.[photoFieldName(id, "alt")]);
  const withdrawAction = me.role === "comms" || me.role === "admin" ? formAction : null;
  return (
    <article className="stack">
      {done === "submitted" || done === "withdrawn" ? (
        <p className="notice" role="status">
          {t(done === "submitted" ? "contributions.submitted" : "contributions.withdrawn")}
        </p>
      ) : null}
      {/* The same for everyone who may read it: kept between requests. */}
      <KeptMarkup as="header" depends={[shown, timeZone]}>
        <ShownHeader packed={shown} timeZone={timeZone} />
      </KeptMarkup>
      <PublishedOn places={published} timeZone={timeZone} />
      {canPublish ? (
        <p>
          <Link className="button secondary" to={`/publishing/new/${c.id}`}>
            {t("publishing.create.link")}
          </Link>
        </p>
      ) : null}
      {undescribed !== undefined && errors?.form ? (
        <div className="alert" role="alert" tabIndex={-1}>
          <p>{msg(errors.form)}</p>
          <p>
            <Link to={`/contributions/${c.id}/edit#${photoFieldId(undescribed, "alt")}`}>{t("contributions.describePhotos")}</Link>
          </p>
        </div>
      ) : (
        <FormError errors={errors} />
      )}

      <ClientNavigation>
        <KeptMarkup className="stack" depends={[shown, timeZone, withdrawAction]}>
          <ShownBody packed={shown} timeZone={timeZone} withdrawAction={withdrawAction} />
        </KeptMarkup>
      </ClientNavigation>

      {isAuthor ? (
        <div className="row">
          {AUTHOR_EDITABLE.includes(c.status) ? (
            <Link className="button secondary" to={`/contributions/${c.id}/edit`}>
              {t("contributions.edit")}
            </Link>
          ) : null}
          <Form method="post" className="row">
            {c.status === "draft" || c.status === "changes_requested" ? (
              <button type="submit" name="intent" value="submit">
                {c.status === "changes_requested" ? t("contributions.resubmit") : t("contributions.submit")}
              </button>
            ) : null}
            {c.status === "submitted" ? (
              <button type="submit" name="intent" value="withdraw" className="secondary">
                {t("contributions.withdraw")}
              </button>
            ) : null}
            {c.status === "draft" || c.status === "rejected" ? (
              <SubmitButton name="intent" value="delete" className="danger" confirm={t("contributions.confirmDelete")}>
                {t("contributions.delete")}
              </SubmitButton>
            ) : null}
          </Form>
        </div>
      ) : null}

      {c.status === "approved" ? (
        <Form method="post" className="row">
          <span>{t("thanks.count", { count: c.thanks ?? 0 })}</span>
          {!isAuthor ? (
            // aria-disabled, not disabled: the button keeps the focus once thanks are given.
            <SubmitButton name="intent" value="thank" aria-disabled={Boolean(c.thanked)} aria-pressed={Boolean(c.thanked)}>
              {c.thanked ? t("thanks.given") : t("thanks.give")}
            </SubmitButton>
          ) : null}
        </Form>
      ) : null}

      {c.history.length ? <History events={c.history} /> : null}

      {/* A draft is its author's alone: no one to talk with yet (earlier comments stay readable). */}
      {c.status === "draft" && comments.length === 0 ? null : (
      <section aria-labelledby="comments-title" className="card">
        <h2 id="comments-title">{t("comments.title")}</h2>
        {comments.length === 0 ? <p className="muted">{t("comments.empty")}</p> : null}
        {comments.map((m) => (
          <div key={m.id} className="comment">
            <strong>{m.author_name}</strong>{" "}
            <time className="muted" dateTime={new Date(m.created_at).toISOString()}>
              {dates.dateTime(m.created_at)}
            </time>
            {m.edited_at ? <span className="muted"> ({t("comments.edited")})</span> : null}
            <p>{m.body}</p>
            {m.author_id === me.id ? (
              <details>
                <summary>{t("comments.edit")}</summary>
                <Form method="post" className="stack">
                  <input type="hidden" name="commentId" value={m.id} />
                  <label htmlFor={`comment-${m.id}`}>{t("comments.editLabel", { date: dates.dateTime(m.created_at) })}</label>
                  <textarea id={`comment-${m.id}`} name="body" defaultValue={m.body} maxLength={5000} rows={3} />
                  <div className="row">
                    <button type="submit" name="intent" value="editComment">
                      {t("comments.save")}
                    </button>
                    <SubmitButton name="intent" value="deleteComment" className="danger" confirm={t("comments.confirmDelete")}>
                      {t("comments.delete")}
                    </SubmitButton>
                  </div>
                </Form>
              </details>
            ) : null}
          </div>
        ))}
        {/* Emptied, not remounted, once the comment is added: the focus stays on its button. */}
        {c.status === "draft" ? null : (
        <Form method="post" className="stack" data-reset-on-success>
          <label htmlFor="new-comment">{t("comments.label")}</label>
          <textarea
            id="new-comment"
            name="body"
            rows={3}
            maxLength={5000}
            aria-invalid={errors?.body ? true : undefined}
            aria-describedby={errors?.body ? "new-comment-error" : undefined}
          />
          {errors?.body ? (
            <p className="field-error" id="new-comment-error" role="alert">
              {msg(errors.body)}
            </p>
          ) : null}
          <div>
            <SubmitButton name="intent" value="comment">
              {t("comments.add")}
            </SubmitButton>
          </div>
        </Form>
        )}
      </section>
      )}
    </article>
  );
}
