import { Form, useLocation } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { LIMITS, type PhotoRef } from "~/contributions/schema";
import { useDates, useOrganisationTimeZone } from "~/utils/dates";
import type { FieldErrors } from "~/utils/forms";
import { describedBy, Field, FieldError, FormError, SubmitButton, useMsg } from "./forms";
import { ExternalBlocksNote, NEW_PHOTO_DEFAULTS, PhotoDetails, rightsInForm, type EditablePhoto, type PhotoBlock } from "./photo-details";
import { PhotoImage } from "./photo-image";
import { RichTextField } from "./rich-text-field";
import { VisibilityChoice } from "./visibility-choice";

export interface ContributionDefaults {
  title?: string;
  bodyJson?: unknown;
  tags?: string[];
  eventDate?: string | null;
  place?: string | null;
  /** The embargo as a datetime-local value in the organisation's time zone. */
  embargo?: string | null;
  visibilityWish?: "department" | "organisation";
  proposeExternal?: boolean;
}

/** A file chosen in the photo input, not stored yet: previewed from the browser's memory. */
interface ChosenFile {
  key: number;
  file: File;
  url: string;
}

/** Opened at #<a field's id> (e.g. from "Décrire les photos"): the focus goes to that field. */
function useFocusFromHash() {
  const { hash } = useLocation();
  useEffect(() => {
    if (!hash) return;
    const target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target?.matches("input, textarea, select")) return;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  }, [hash]);
}

/**
 * The writing form, shared by "new" and "edit": text, details, photos and their rights. Chosen
 * files get their preview and fields at once, so that one sending can save and submit. When that
 * sending is refused, the server keeps nothing: the files stay in the input (the page is not
 * reloaded) and are sent again with the next try. Without JavaScript, new photos get their details
 * on the edit page after a first save.
 */
export function ContributionForm({
  defaults = {},
  photos = [],
  remainingPhotos,
  maxUploadMb,
  errors,
  actions,
}: {
  defaults?: ContributionDefaults;
  photos?: EditablePhoto[];
  remainingPhotos: number;
  maxUploadMb: number;
  errors?: FieldErrors;
  actions: { intent: string; label: string; secondary?: boolean }[];
}) {
  const { t } = useTranslation();
  const msg = useMsg();
  const form = useRef<HTMLFormElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const nextKey = useRef(0);
  const [chosen, setChosen] = useState<ChosenFile[]>([]);
  const inForm: { ref: PhotoRef; stored?: EditablePhoto }[] = [
    ...photos.map((p) => ({ ref: p.id, stored: p })),
    ...chosen.map((_, n) => ({ ref: `new${n}` as const })),
  ];
  const [blocks, setBlocks] = useState<PhotoBlock[]>([]);
  // Today in the organisation's time zone: an authorisation's expiry day still counts.
  const { today } = useDates();
  const timeZone = useOrganisationTimeZone();
  const updateBlocks = () => {
    if (form.current) setBlocks(rightsInForm(form.current, inForm, today()));
  };
  // Once the photos in the form may have changed (files chosen or removed, a save).
  const photoKey = photos.map((p) => `${p.id}:${p.rights_status}:${p.rights_scope}:${p.rights_expires_on}`).join();
  useEffect(updateBlocks, [chosen, photoKey]);
  const previews = useRef<ChosenFile[]>([]);
  previews.current = chosen;
  useEffect(() => () => previews.current.forEach((c) => URL.revokeObjectURL(c.url)), []);
  useFocusFromHash();

  function choose(files: FileList | null) {
    chosen.forEach((c) => URL.revokeObjectURL(c.url));
    setChosen([...(files ?? [])].map((file) => ({ key: nextKey.current++, file, url: URL.createObjectURL(file) })));
  }

  function unchoose(key: number) {
    const keep = chosen.filter((c) => c.key !== key);
    chosen.filter((c) => c.key === key).forEach((c) => URL.revokeObjectURL(c.url));
    const list = new DataTransfer();
    for (const c of keep) list.items.add(c.file);
    if (fileInput.current) {
      fileInput.current.files = list.files;
      fileInput.current.focus();
    }
    setChosen(keep);
  }

  return (
    <Form ref={form} method="post" encType="multipart/form-data" noValidate className="stack" onChange={updateBlocks}>
      <FormError errors={errors} />
      <Field name="title" type="text" label={t("contributions.title")} required maxLength={LIMITS.title} defaultValue={defaults.title} errors={errors} />
      <RichTextField name="body" label={t("contributions.body")} defaultValue={defaults.bodyJson} error={msg(errors?.body)} />
      <Field name="tags" type="text" label={t("contributions.tags")} hint={t("contributions.tagsHint")} defaultValue={defaults.tags?.join(", ")} errors={errors} />
      <div className="row">
        <div className="grow">
          <Field name="eventDate" type="date" label={t("contributions.eventDate")} defaultValue={defaults.eventDate ?? ""} errors={errors} />
        </div>
        <div className="grow">
          <Field name="place" type="text" label={t("contributions.place")} maxLength={LIMITS.place} defaultValue={defaults.place ?? ""} errors={errors} />
        </div>
      </div>
      <VisibilityChoice
        name="visibilityWish"
        legend={t("contributions.visibilityWish")}
        labels={{ department: t("contributions.wishDepartment"), organisation: t("contributions.wishOrganisation") }}
        defaultValue={defaults.visibilityWish ?? "department"}
        error={msg(errors?.visibilityWish)}
      />
      <div>
        <label className="choice">
          <input type="checkbox" name="proposeExternal" defaultChecked={defaults.proposeExternal} aria-describedby={blocks.length ? "propose-external-note" : undefined} />
          {t("contributions.proposeExternal")}
        </label>
        <ExternalBlocksNote id="propose-external-note" blocks={blocks} />
      </div>
      <Field name="embargo" type="datetime-local" label={t("contributions.embargo")} hint={t("contributions.embargoHint", { zone: timeZone })} defaultValue={defaults.embargo ?? ""} errors={errors} />

      {photos.length > 0 || chosen.length > 0 ? (
        <fieldset>
          <legend>{t("contributions.photos")}</legend>
          <div className="photo-grid">
            {photos.map((photo, i) => (
              <PhotoDetails
                key={photo.id}
                photoRef={photo.id}
                index={i}
                defaults={photo}
                errors={errors}
                preview={<PhotoImage photo={{ ...photo, alt: photo.alt_text }} rendition="thumb" />}
                remove={
                  <label className="choice">
                    <input type="checkbox" name="removePhoto" value={photo.id} />
                    {t("photos.remove")}
                  </label>
                }
              />
            ))}
            {chosen.map((c, n) => (
              <PhotoDetails
                key={c.key}
                photoRef={`new${n}`}
                index={photos.length + n}
                defaults={NEW_PHOTO_DEFAULTS}
                errors={errors}
                preview={<img className="photo" src={c.url} alt={t("photos.preview", { name: c.file.name })} />}
                remove={
                  <button type="button" className="secondary" onClick={() => unchoose(c.key)}>
                    {t("photos.remove")}
                  </button>
                }
              />
            ))}
          </div>
        </fieldset>
      ) : null}

      {remainingPhotos > 0 ? (
        <div className="field">
          <label htmlFor="photos">{photos.length ? t("contributions.addPhotos") : t("contributions.photos")}</label>
          <input
            ref={fileInput}
            id="photos"
            type="file"
            name="photos"
            multiple
            accept="image/jpeg,image/png,image/webp,image/avif"
            onChange={(e) => choose(e.currentTarget.files)}
            aria-describedby={describedBy("photos-hint", errors?.photos && "photos-error")}
            aria-invalid={errors?.photos ? true : undefined}
          />
          <p className="hint" id="photos-hint">
            {t("contributions.photosHint", { max: maxUploadMb })}
          </p>
          <FieldError id="photos-error" message={msg(errors?.photos)} />
        </div>
      ) : (
        <FieldError id="photos-error" message={msg(errors?.photos)} />
      )}

      <div className="row">
        {actions.map((a) => (
          <SubmitButton key={a.intent} name="intent" value={a.intent} className={a.secondary ? "secondary" : undefined}>
            {a.label}
          </SubmitButton>
        ))}
      </div>
    </Form>
  );
}
