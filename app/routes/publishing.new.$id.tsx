import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { CropEditor } from "~/components/crop-editor";
import { describedBy, FieldError, FormError, SubmitButton, useMsg } from "~/components/forms";
import { PersonalDataNote } from "~/components/personal-data-note";
import { TextWithCounter } from "~/components/text-counter";
import { requireRole } from "~/auth/guards.server";
import { db } from "~/db.server";
import { env } from "~/env.server";
import { composeDraft } from "~/publishing/compose.server";
import { createPublication, type PhotoChoice } from "~/publishing/queue.server";
import { localInstant } from "~/publishing/queue-view.server";
import { fieldErrors, FormRefusal, idParam, UserError } from "~/utils/errors.server";
import type { FieldErrors } from "~/utils/forms";
import { readForm } from "~/utils/forms.server";
import { useDates } from "~/utils/dates";

export const meta: MetaFunction = () => [{ title: "Publier à l'extérieur · Relais" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  return composeDraft(db(), user, idParam(params.id));
}

const FIELD_OF: Record<string, string> = { text: "text", scheduledAt: "at", photos: "photos", confirmPersonalData: "confirmPersonal" };

export async function action({ request, params }: ActionFunctionArgs) {
  const user = await requireRole(request, "comms", "admin");
  const contributionId = idParam(params.id);
  const draft = await composeDraft(db(), user, contributionId);
  const form = await readForm(request);
  const chosen = draft.channels.filter((c) => form.getAll("channel").includes(String(c.id)));
  if (!chosen.length) return fieldErrors({ channel: "publishing.create.chooseChannel" });
  const timeZone = env().ORGANISATION_TIME_ZONE;
  const errors: FieldErrors = {};
  let created = 0;
  // One publication per channel, each all or nothing: a refused one says why beside its fields,
  // those made stay made (the page then shows them as already on their channel).
  for (const channel of chosen) {
    const key = (field: string) => `${field}-${channel.id}`;
    const photoIds = form.getAll(key("photo")).map(Number);
    const photos: PhotoChoice[] = draft.photos
      .filter((p) => photoIds.includes(p.id))
      .map((p) => ({ photoId: p.id, focus: { x: Number(form.get(`${key("focus")}-${p.id}-x`)), y: Number(form.get(`${key("focus")}-${p.id}-y`)) } }));
    let scheduledAt: Date | undefined;
    if (form.get(key("when")) === "at") {
      const at = localInstant(form.get(key("at")), timeZone);
      if (!at) {
        errors[key("at")] = "publishing.errors.time";
        continue;
      }
      scheduledAt = at;
    }
    try {
      await createPublication(db(), user, {
        contributionId,
        channelId: channel.id,
        text: String(form.get(key("text")) ?? ""),
        photos,
        scheduledAt,
        confirmPersonalData: form.get(key("confirmPersonal")) === "on",
      });
      created++;
    } catch (error) {
      if (error instanceof UserError) errors[key(FIELD_OF[error.field] ?? "channel")] = error.params ? [error.key, error.params] : error.key;
      else if (error instanceof FormRefusal) Object.assign(errors, Object.fromEntries(Object.entries(error.errors).map(([f, m]) => [key(FIELD_OF[f] ?? "channel"), m])));
      else throw error;
    }
  }
  if (Object.keys(errors).length) {
    // The texts as sent, for the page to show again (and check again) without JavaScript.
    const texts = Object.fromEntries(chosen.map((c) => [c.id, String(form.get(`text-${c.id}`) ?? "")]));
    return data({ ok: false as const, errors, texts }, { status: 400 });
  }
  return redirect(`/publishing?created=${created}`);
}

type Draft = ReturnType<typeof useLoaderData<typeof loader>>;

function ChannelDraft({
  channel,
  photos,
  embargo,
  errors,
  sentText,
}: {
  channel: Draft["channels"][number];
  photos: Draft["photos"];
  embargo: boolean;
  errors?: FieldErrors;
  sentText?: string;
}) {
  const { t } = useTranslation();
  const msg = useMsg();
  const dates = useDates();
  const [on, setOn] = useState(false);
  const [when, setWhen] = useState(channel.nextSlot ? "next" : "at");
  const usable = (p: Draft["photos"][number]) => p.usable && !channel.blockedPhotoIds.includes(p.id);
  const [used, setUsed] = useState(() => new Set(photos.filter(usable).slice(0, 4).map((p) => p.id)));
  const key = (field: string) => `${field}-${channel.id}`;
  const channelError = msg(errors?.[key("channel")]);
  return (
    <section className="card stack" aria-labelledby={key("title")}>
      <h2 id={key("title")}>{channel.name}</h2>
      <p className="meta">{t(`publishing.kinds.${channel.kind}`)}</p>
      {channel.already ? (
        <p>{t("publishing.create.already")}</p>
      ) : (
        <>
          <label className="choice">
            <input type="checkbox" name="channel" value={channel.id} checked={on} onChange={(e) => setOn(e.target.checked)} aria-describedby={describedBy(channelError && key("channel-error"))} />
            {t("publishing.create.onChannel", { channel: channel.name })}
          </label>
          <FieldError id={key("channel-error")} message={channelError} />
          <div className="stack" hidden={!on}>
            <TextWithCounter
              id={key("text")}
              name={key("text")}
              label={t("publishing.create.text", { channel: channel.name })}
              kind={channel.kind}
              limit={channel.characterLimit}
              defaultValue={sentText ?? channel.text}
              error={msg(errors?.[key("text")])}
              after={(text) => <PersonalDataNote id={key("personal")} text={text} name={key("confirmPersonal")} error={msg(errors?.[key("confirmPersonal")])} />}
            />
            {photos.length ? (
              <fieldset className="stack" aria-describedby={describedBy(errors?.[key("photos")] && key("photos-error"))}>
                <legend>{t("publishing.create.photos", { channel: channel.name })}</legend>
                <FieldError id={key("photos-error")} message={msg(errors?.[key("photos")])} />
                {photos.map((p, i) => (
                  <div key={p.id} className="stack">
                    <label className="choice">
                      <input
                        type="checkbox"
                        name={key("photo")}
                        value={p.id}
                        checked={used.has(p.id)}
                        disabled={!usable(p)}
                        onChange={(e) => setUsed((s) => {
                          const next = new Set(s);
                          if (e.target.checked) next.add(p.id);
                          else next.delete(p.id);
                          return next;
                        })}
                      />
                      {t("publishing.create.usePhoto", { n: i + 1 })}
                    </label>
                    {used.has(p.id) ? (
                      <CropEditor
                        name={`${key("focus")}-${p.id}`}
                        photo={{ id: p.id, width: p.width, height: p.height, alt: p.alt_text }}
                        n={i + 1}
                        aspectName={channel.aspect}
                        ratio={channel.ratio}
                        initial={{ x: p.focus_x, y: p.focus_y }}
                      />
                    ) : null}
                  </div>
                ))}
              </fieldset>
            ) : null}
            <fieldset className="stack">
              <legend>{t("publishing.create.when", { channel: channel.name })}</legend>
              <label className="choice">
                <input type="radio" name={key("when")} value="next" checked={when === "next"} disabled={!channel.nextSlot} onChange={() => setWhen("next")} />
                {channel.nextSlot ? t("publishing.create.nextSlot", { date: dates.dateTime(channel.nextSlot) }) : t("publishing.create.noSlot")}
              </label>
              <label className="choice">
                <input type="radio" name={key("when")} value="at" checked={when === "at"} onChange={() => setWhen("at")} />
                {t("publishing.create.at")}
              </label>
              {when === "at" ? (
                <div className="field">
                  <label htmlFor={key("at")}>{t("publishing.create.atLabel", { channel: channel.name })}</label>
                  <input
                    id={key("at")}
                    name={key("at")}
                    type="datetime-local"
                    aria-invalid={errors?.[key("at")] ? true : undefined}
                    aria-describedby={describedBy(embargo && "embargo-note", errors?.[key("at")] && key("at-error"))}
                  />
                  <FieldError id={key("at-error")} message={msg(errors?.[key("at")])} />
                </div>
              ) : (
                <FieldError id={key("at-error")} message={msg(errors?.[key("at")])} />
              )}
            </fieldset>
          </div>
        </>
      )}
    </section>
  );
}

export default function NewPublications() {
  const draft = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { t } = useTranslation();
  const dates = useDates();
  const msg = useMsg();
  const errors = result && "errors" in result ? (result.errors as FieldErrors) : undefined;
  const texts = result && "texts" in result ? (result.texts as Record<string, string>) : undefined;
  return (
    <div className="stack">
      <p>
        <Link to={`/contributions/${draft.contribution.id}`}>← {draft.contribution.title}</Link>
      </p>
      <h1>{t("publishing.create.title", { title: draft.contribution.title })}</h1>
      {draft.contribution.embargoUntil ? (
        <p id="embargo-note">
          <strong>{t("contributions.embargoShown", { date: dates.dateTime(draft.contribution.embargoUntil) })}</strong>
        </p>
      ) : null}
      {!draft.publishable ? (
        <p className="alert" role="alert">
          {t(draft.contribution.status === "approved" ? "publishing.errors.internalOnly" : "publishing.errors.notApproved")}
        </p>
      ) : draft.channels.length === 0 ? (
        <p>
          {t("publishing.create.noChannel")} <Link to="/publishing/channels">{t("publishing.create.manageChannels")}</Link>
        </p>
      ) : (
        <Form method="post" className="stack">
          <p>{t("publishing.create.intro")}</p>
          <FormError errors={errors} />
          {errors?.channel ? (
            <p className="alert" role="alert">
              {msg(errors.channel)}
            </p>
          ) : null}
          {draft.channels.map((c) => (
            <ChannelDraft key={c.id} channel={c} photos={draft.photos} embargo={draft.contribution.embargoUntil !== null} errors={errors} sentText={texts?.[c.id]} />
          ))}
          <div>
            <SubmitButton>{t("publishing.create.submit")}</SubmitButton>
          </div>
        </Form>
      )}
    </div>
  );
}
