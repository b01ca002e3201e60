import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Notice, ResultNotice } from "~/components/notice";
import { describedBy, FieldError, FormError, SubmitButton, useMsg } from "~/components/forms";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { markPublishedByHand } from "~/publishing/delivery.server";
import { conflictsFor, getPublication, movePublication, releasePublication, updatePublication } from "~/publishing/queue.server";
import { PublicationTextForm } from "~/components/publication-text-form";
import { localInput, localInstant } from "~/publishing/queue-view.server";
import { publicationReach } from "~/publishing/reach.server";
import { ReachLine } from "~/components/published-on";
import { attempt, fieldErrors, idParam } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";
import { useDates } from "~/utils/dates";
import { isChangeable } from "~/publishing/states";

export const meta: MetaFunction = () => [{ title: "Publication · Relais" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const p = await getPublication(db(), user, idParam(params.id));
  const reach = p.state === "published" ? await publicationReach(db(), user, p.id) : null;
  return { p, at: localInput(p.scheduledAt, env().ORGANISATION_TIME_ZONE), reach };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const id = idParam(params.id);
  const p = await getPublication(db(), user, id);
  const form = await readForm(request);
  const intent = form.get("intent");
  if (intent === "check" || intent === "move") {
    const at = localInstant(form.get("at"), env().ORGANISATION_TIME_ZONE);
    if (!at) return fieldErrors({ at: "publishing.errors.time" });
    // Conflicts are shown before anything is saved; "move" is the second, deliberate press.
    if (intent === "check") {
      const conflicts = await conflictsFor(db(), user, { channelId: p.channel.id, scheduledAt: at, contributionId: p.contribution.id, excludeId: id });
      return { ok: true as const, checked: form.get("at") as string, conflicts };
    }
    const result = await attempt(() => movePublication(db(), user, id, at));
    if (!("value" in result)) return fieldErrors({ at: "errors" in result.data ? (result.data.errors as FieldErrors).scheduledAt ?? (result.data.errors as FieldErrors).form : "errors.400" }, result.init?.status ?? 400);
    return { ok: true as const, moved: result.value.scheduledAt };
  }
  if (intent === "next") {
    const result = await attempt(() => movePublication(db(), user, id, "next"));
    if (!("value" in result)) return result;
    return { ok: true as const, moved: result.value.scheduledAt };
  }
  if (intent === "text") {
    const text = String(form.get("text") ?? "");
    const result = await attempt(() => updatePublication(db(), user, id, { text, confirmPersonalData: form.get("confirmPersonalData") === "on" }));
    if (!("value" in result)) return result;
    return { ok: true as const, message: "publishing.publication.textSaved" };
  }
  if (intent === "release") {
    const result = await attempt(() => releasePublication(db(), user, id));
    if (!("value" in result)) return result;
    return { ok: true as const, message: "publishing.publication.released" };
  }
  if (intent === "published") {
    const result = await attempt(() => markPublishedByHand(db(), user, id, String(form.get("url") ?? "")));
    if (!("value" in result)) return result;
    return { ok: true as const, message: "publishing.publication.markedPublished" };
  }
  return fieldErrors({ form: "errors.400" });
}

/** The manual kit's text to the clipboard in one press; without JavaScript the text stays selectable above. */
function CopyButton({ text }: { text: string }) {
  const { t } = useTranslation();
  const [live, setLive] = useState(false);
  const [copied, setCopied] = useState(false);
  useEffect(() => setLive(true), []);
  if (!live) return null;
  return (
    <div className="row">
      <button
        type="button"
        className="secondary"
        onClick={() =>
          navigator.clipboard.writeText(text).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {t("publishing.publication.copy")}
      </button>
      <span role="status">{copied ? t("publishing.publication.copied") : ""}</span>
    </div>
  );
}

export default function PublicationPage() {
  const { p, at, reach } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const msg = useMsg();
  const dates = useDates();
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  const checked = result && "conflicts" in result && result.conflicts ? { checked: String(result.checked), conflicts: result.conflicts } : undefined;
  const moved = result && "moved" in result && result.moved ? result.moved : undefined;
  const changeable = isChangeable(p.state);
  return (
    <div className="stack">
      <p>
        <Link to="/publishing">← {t("publishing.queue.title")}</Link>
      </p>
      <h1>{t("publishing.publication.title", { title: p.contribution.title, channel: p.channel.name })}</h1>
      <p className="meta">
        <span className={`status pub-${p.state}`}>{t(`publishing.states.${p.state}`)}</span>
        <span>{p.publishedAt ? t("publishing.publication.publishedAt", { date: dates.dateTime(p.publishedAt) }) : t("publishing.publication.scheduledAt", { date: dates.dateTime(p.scheduledAt) })}</span>
        <Link to={`/contributions/${p.contribution.id}`}>{p.contribution.title}</Link>
      </p>
      {moved ? (
        <Notice>{t("publishing.publication.moved", { date: dates.dateTime(moved) })}</Notice>
      ) : null}
      <ResultNotice result={result} />
      <FormError errors={errors} />
      {p.state === "failed" && p.lastError ? <p className="alert">{t("publishing.queue.lastError", { error: p.lastError })}</p> : null}
      {p.state === "held" && p.heldReason ? (
        <div className="alert">
          <p>{t("publishing.queue.held", { reason: p.heldReason })}</p>
          <Form method="post">
            <SubmitButton name="intent" value="release" className="secondary">
              {t("publishing.publication.release")}
            </SubmitButton>
          </Form>
        </div>
      ) : null}
      {p.remoteUrl ? (
        <p>
          <a href={p.remoteUrl}>{t("publishing.queue.seePost")}</a>
        </p>
      ) : null}
      {p.state === "published" && (p.channel.kind === "mastodon" || p.channel.kind === "bluesky") ? (
        <section className="card stack" aria-labelledby="reach-title">
          <h2 id="reach-title">{t("publishing.reach.title")}</h2>
          {reach?.figures ? (
            <p>
              <ReachLine reach={reach.figures} /> <span className="muted">({t("publishing.reach.asOf", { date: dates.dateTime(reach.figures.fetchedAt) })})</span>
            </p>
          ) : null}
          {!reach?.figures && !reach?.stopped ? <p>{t("publishing.reach.waiting")}</p> : null}
          {reach?.stopped === "gone" ? <p>{t("publishing.reach.gone")}</p> : null}
          {reach?.stopped === "ended" ? <p>{t("publishing.reach.ended")}</p> : null}
          {reach?.nextFetchAt ? <p className="muted">{t("publishing.reach.next", { date: dates.dateTime(reach.nextFetchAt) })}</p> : null}
          {reach?.lastError ? <p className="alert">{t("publishing.reach.lastError", { error: reach.lastError })}</p> : null}
          <p>
            <Link to={`/publishing/channels/${p.channel.id}/reach`}>{t("publishing.reach.channelLink")}</Link>
          </p>
        </section>
      ) : null}

      <section className="card stack" aria-labelledby="text-title">
        <h2 id="text-title">{p.channel.kind === "manual" ? t("publishing.publication.copyText") : t("publishing.publication.text")}</h2>
        <textarea aria-labelledby="text-title" readOnly rows={8} value={p.text} />
        {p.channel.kind === "manual" ? <CopyButton text={p.text} /> : null}
      </section>

      {changeable ? <PublicationTextForm key={p.text} text={p.text} kind={p.channel.kind} limit={p.characterLimit} errors={errors} /> : null}

      {p.channel.kind === "manual" && p.photos.length ? (
        <section className="card stack" aria-labelledby="downloads-title">
          <h2 id="downloads-title">{t("publishing.publication.downloads")}</h2>
          <ul>
            {p.photos.map((photo, i) => (
              <li key={photo.photoId}>
                <a href={`/publishing/${p.id}/crop/${photo.photoId}`} download>
                  {t("publishing.publication.download", { n: i + 1, aspect: photo.aspect ?? t("publishing.channels.aspectDefault") })}
                </a>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {p.channel.kind === "manual" && ["queued", "scheduled", "failed"].includes(p.state) ? (
        <section className="card" aria-labelledby="kit-title">
          <h2 id="kit-title">{t("publishing.publication.kit")}</h2>
          <Form method="post" className="stack" noValidate>
            <div className="field">
              <label htmlFor="f-url">{t("publishing.publication.postUrl")}</label>
              <input id="f-url" name="url" type="url" aria-invalid={errors?.url ? true : undefined} aria-describedby={describedBy(errors?.url && "f-url-error")} />
              <FieldError id="f-url-error" message={msg(errors?.url)} />
            </div>
            <div>
              <SubmitButton name="intent" value="published">
                {t("publishing.publication.markPublished")}
              </SubmitButton>
            </div>
          </Form>
        </section>
      ) : null}

      {changeable ? (
        <section className="card" aria-labelledby="move-title">
          <h2 id="move-title">{t("publishing.publication.move")}</h2>
          <Form method="post" className="stack" noValidate>
            <div className="field">
              <label htmlFor="f-at">{t("publishing.publication.moveTime")}</label>
              <input
                id="f-at"
                name="at"
                type="datetime-local"
                defaultValue={checked?.checked ?? at}
                aria-invalid={errors?.at ? true : undefined}
                aria-describedby={describedBy(errors?.at && "f-at-error", checked && "f-at-conflicts")}
              />
              <FieldError id="f-at-error" message={msg(errors?.at)} />
            </div>
            {checked ? (
              <div id="f-at-conflicts" role="status">
                {checked.conflicts.length === 0 ? (
                  <p>{t("publishing.publication.noConflict")}</p>
                ) : (
                  <>
                    <p>{t("publishing.publication.conflicts")}</p>
                    <ul>
                      {checked.conflicts.map((c) => (
                        <li key={`${c.kind}-${c.publicationId}`}>
                          {c.kind === "slot"
                            ? t("publishing.publication.conflictSlot", { title: c.title, date: dates.dateTime(c.scheduledAt) })
                            : t("publishing.publication.conflictContribution", { date: dates.dateTime(c.scheduledAt) })}
                        </li>
                      ))}
                    </ul>
                  </>
                )}
              </div>
            ) : null}
            <div className="row">
              <SubmitButton name="intent" value="check" className="secondary">
                {t("publishing.publication.check")}
              </SubmitButton>
              {checked ? (
                <SubmitButton name="intent" value="move">
                  {t("publishing.publication.confirmMove")}
                </SubmitButton>
              ) : null}
              <SubmitButton name="intent" value="next" className="secondary">
                {t("publishing.publication.moveNext")}
              </SubmitButton>
            </div>
          </Form>
        </section>
      ) : null}
    </div>
  );
}
